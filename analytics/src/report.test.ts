import { describe, expect, it } from 'vitest';
import { formatReport, type Report, type Totals } from './report.ts';

const totals = (gross: string, returned: string, net: string, returns = 1): Totals => ({
  units: 3,
  sales: 2,
  returns,
  gross_revenue: gross,
  returns_revenue: returned,
  revenue: net,
});

const report: Report = {
  revenue_total: totals('1030.00', '30.00', '1000.00'),
  by_product: [{ product_id: 'P1', name: 'Produit 1', ...totals('1030.00', '30.00', '1000.00') }],
  by_region: [],
  by_city: [],
  by_store: [],
  by_day: [],
  data_quality: {
    rejected_rows: 0,
    pending_sales: 0,
    corrections: [{ feed: 'ventes.csv', amendments: 2, cancellations: 1 }],
    held_feeds: [
      {
        feed: 'ventes.csv',
        reason: 'trop d’annulations',
        cancels: 40,
        live_sales: 50,
        held_at: '2026-01-01T00:00:00.000Z',
      },
    ],
  },
};

describe('formatReport', () => {
  it('gives gross, returns and net revenue, in total and per line', () => {
    const text = formatReport(report);
    expect(text).toContain(
      "Chiffre d'affaires total : net 1\u202f000,00 € (brut 1\u202f030,00 €, retours 30,00 €) — 3 unités, 2 ventes, 1 retours",
    );
    expect(text).toMatch(/unités {2}ventes {2}retours +brut {2}− retours +net/);
    expect(text).toMatch(/P1 +Produit 1 +3 +2 +1 +1\u202f030,00 € +30,00 € +1\u202f000,00 €/);
  });

  it('lists the corrections and the held feeds of each feed', () => {
    const text = formatReport(report);
    expect(text).toContain('corrections de ventes.csv : 2 modification(s), 1 annulation(s)');
    expect(text).toContain(
      '⚠ ventes.csv retenu depuis 2026-01-01T00:00:00.000Z : annulerait 40 de ses 50 vente(s)',
    );
  });
});
