import { normalizeHeaderName } from './header.ts';
import { MAX_QUANTITY } from './validate-values.ts';

/**
 * How a sales feed's rows are read beyond their ids: the quantity bound (both signs: a negative quantity
 * is a return), and the optional sale-id and status columns of feeds that carry them.
 */
export interface SaleRules {
  /** QUANTITY_MAX: a quantity beyond it, either way, is a typing error. */
  quantityMax: number;
  /** SALE_ID_COLUMN: another header name of the sale-id column (built-in: `ID Vente`, `Sale ID`, …). */
  saleIdColumn?: string | undefined;
  /** SALE_STATUS_COLUMN: another header name of the status column (built-in: `Statut`, `Status`, …). */
  statusColumn?: string | undefined;
  /** SALE_CANCELLED_VALUES: status values that cancel the sale, normalized like header names. */
  cancelledValues: string[];
}

/** The status values that cancel a sale by default. */
export const DEFAULT_CANCELLED_VALUES = ['annulée', 'annulé', 'annulee', 'cancelled', 'canceled'];

export const DEFAULT_SALE_RULES: SaleRules = {
  quantityMax: MAX_QUANTITY,
  cancelledValues: DEFAULT_CANCELLED_VALUES.map(normalizeHeaderName),
};

/** Whether a status field cancels the sale (matched like header names: case and accents ignored). */
export function isCancelledStatus(value: string, rules: SaleRules): boolean {
  const normalized = normalizeHeaderName(value);
  return normalized !== '' && rules.cancelledValues.includes(normalized);
}
