import { describe, expect, it } from 'vitest';
import type { Milestone } from './detect-milestones.ts';
import { formatDigest } from './format-digest.ts';

const revenue = (step: string): Milestone => ({ rule: 'revenue_total', subject: 'total', step, payload: {} });
const units = (product: string, step: string): Milestone => ({
  rule: 'product_units',
  subject: product,
  step,
  payload: { product_id: product, product_name: `Produit ${product}` },
});
const bigSale = (id: string, amount: string): Milestone => ({
  rule: 'big_sale',
  subject: id,
  step: '500',
  payload: { sale_id: id, amount, product_id: 'P1', product_name: '<!channel>', quantity: 20, city: 'Lyon' },
});

describe('formatDigest', () => {
  it('summarises many milestones in one message: a line per rule, money summed in cents', () => {
    const message = formatDigest(
      [
        revenue('1000'),
        revenue('2000'),
        revenue('5000'),
        units('A', '25'),
        units('A', '50'),
        units('B', '25'),
        // 0.1 + 0.2 is not 0.3 in floating point; in cents it is.
        bigSale('s1', '500.10'),
        bigSale('s2', '600.20'),
        bigSale('s3', '999.99'),
      ],
      'fr',
    );
    const lines = message.blocks[0]?.text.text.split('\n');
    expect(lines).toEqual([
      '📣 9 jalons d’un coup',
      "🎉 Chiffre d'affaires total : plus de 5\u202f000 € (3 paliers)",
      '📦 Produits : Produit A 50 unités, Produit B 25 unités',
      '💰 3 grosses ventes (2\u202f100,29 € en tout), la plus grosse : 999,99 € (20 × <!channel>, Lyon)',
    ]);
    expect(message.text).not.toMatch(/[<>]/); // the fallback text is escaped
  });

  it('names five products at most and counts the others, in English too', () => {
    const many = Array.from({ length: 8 }, (_, i) => units(`P${i}`, String(25 * (i + 1))));
    const text = formatDigest(many, 'en').blocks[0]?.text.text ?? '';
    expect(text).toBe(
      '📣 8 milestones at once\n📦 Products: Produit P7 200 units, Produit P6 175 units, Produit P5 150 units, Produit P4 125 units, Produit P3 100 units and 3 more',
    );
  });

  it('orders products of equal steps by their id, as the database orders them in a backfill summary', () => {
    const products = (milestones: Milestone[]) =>
      formatDigest(milestones, 'en').blocks[0]?.text.text.split('\n')[1];
    const expected = '📦 Products: Produit C 100 units, Produit A 50 units, Produit B 50 units';
    expect(products([units('B', '50'), units('A', '50'), units('C', '100')])).toBe(expected);
    expect(products([units('A', '50'), units('B', '50'), units('C', '100')])).toBe(expected);
  });

  it('names the backfill whose milestones it summarises, its name escaped in the fallback text', () => {
    const message = formatDigest([revenue('1000'), revenue('2000'), units('A', '25')], 'en', '<!here>-2025');
    expect(message.blocks[0]?.text.text.split('\n')).toEqual([
      '📚 History loaded (<!here>-2025): 3 milestones crossed',
      '🎉 Total revenue: over €2,000 (2 steps)',
      '📦 Products: Produit A 25 units',
    ]);
    expect(message.text).not.toMatch(/[<>]/);
    expect(formatDigest([revenue('1000')], 'fr', 'h').blocks[0]?.text.text.split('\n')[0]).toBe(
      '📚 Historique chargé (h) : 1 jalon franchi',
    );
  });

  it('stays under Slack’s 3,000 characters of a plain_text section', () => {
    const long = Array.from({ length: 6 }, (_, i) => ({
      ...units(`P${i}`, '25'),
      payload: { product_name: 'x'.repeat(900) },
    }));
    expect(formatDigest(long, 'fr').blocks[0]?.text.text.length).toBeLessThanOrEqual(3_000);
  });
});
