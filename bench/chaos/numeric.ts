import { toCents } from '@sales-pipeline/platform';

/** A PostgreSQL numeric as text (`12.5`, `-3.20`) in cents, by the platform's one parser; null stays null. */
export const cents = (text: string | null): bigint | null => (text === null ? null : toCents(text));
