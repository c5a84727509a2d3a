import type { Milestone } from './detect-milestones.ts';
import { euros, milestoneSentence, type Language } from '@sales-pipeline/platform';
import { escapeSlackText, type SlackMessage } from './format-milestone.ts';
import { centsToDecimal, toCents } from './money.ts';

/** The most subjects a digest names per rule; the others are counted. */
const NAMED = 5;
/** Slack's limit for a plain_text section is 3,000 characters: the digest stays under it. */
const MAX_TEXT = 2_900;

const name = (m: Milestone, key: 'product_name' | 'city', fallback: string) =>
  (m.payload[key] as string | null | undefined) ?? fallback;

/** The highest step of each subject, highest first. */
function highestBySubject(milestones: Milestone[]): Milestone[] {
  const best = new Map<string, Milestone>();
  for (const m of milestones) {
    const seen = best.get(m.subject);
    if (!seen || toCents(m.step) > toCents(seen.step)) best.set(m.subject, m);
  }
  return [...best.values()].sort((a, b) => (toCents(b.step) > toCents(a.step) ? 1 : -1));
}

function andOthers(shown: string[], total: number, language: Language): string {
  const more = total - shown.length;
  if (more <= 0) return shown.join(', ');
  return `${shown.join(', ')} ${language === 'fr' ? `et ${more} autre${more > 1 ? 's' : ''}` : `and ${more} more`}`;
}

/** One line per rule. Pure; money compared and summed in cents. */
function digestLines(milestones: Milestone[], language: Language): string[] {
  const fr = language === 'fr';
  const of = (rule: Milestone['rule']) => milestones.filter((m) => m.rule === rule);
  const lines: string[] = [];
  const revenue = highestBySubject(of('revenue_total'))[0];
  if (revenue) {
    const steps = of('revenue_total').length;
    lines.push(
      fr
        ? `🎉 Chiffre d'affaires total : plus de ${euros(revenue.step, language)}${steps > 1 ? ` (${steps} paliers)` : ''}`
        : `🎉 Total revenue: over ${euros(revenue.step, language)}${steps > 1 ? ` (${steps} steps)` : ''}`,
    );
  }
  const products = highestBySubject(of('product_units'));
  if (products.length > 0) {
    const shown = products
      .slice(0, NAMED)
      .map((m) => `${name(m, 'product_name', m.subject)} ${m.step}${fr ? ' unités' : ' units'}`);
    const list = andOthers(shown, products.length, language);
    lines.push(fr ? `📦 Produits : ${list}` : `📦 Products: ${list}`);
  }
  const big = of('big_sale');
  if (big.length > 0) {
    const amount = (m: Milestone) => toCents(m.payload.amount);
    const largest = big.reduce((a, b) => (amount(b) > amount(a) ? b : a));
    const total = centsToDecimal(big.reduce((sum, m) => sum + amount(m), 0n));
    const where = `${largest.payload.quantity} × ${name(largest, 'product_name', String(largest.payload.product_id))}${largest.payload.city ? `, ${largest.payload.city}` : ''}`;
    lines.push(
      fr
        ? `💰 ${big.length} grosse${big.length > 1 ? 's' : ''} vente${big.length > 1 ? 's' : ''} (${euros(total, language)} en tout), la plus grosse : ${euros(String(largest.payload.amount), language)} (${where})`
        : `💰 ${big.length} big sale${big.length > 1 ? 's' : ''} (${euros(total, language)} in all), the largest: ${euros(String(largest.payload.amount), language)} (${where})`,
    );
  }
  for (const held of of('feed_held')) {
    lines.push(
      fr
        ? `⚠️ Flux ${held.subject} : version retenue (${held.payload.cancels} annulations), voir sales-pipeline feed accept`
        : `⚠️ Feed ${held.subject}: version held back (${held.payload.cancels} cancellations), see sales-pipeline feed accept`,
    );
  }
  for (const m of [...of('aggregate_drift'), ...of('feed_stale'), ...of('feed_recovered')])
    lines.push(milestoneSentence(m, {}, language));
  const records = of('store_best_day');
  if (records.length > 0) {
    const shown = records
      .slice(0, NAMED)
      .map(
        (m) =>
          `${m.subject}${m.payload.city ? ` (${m.payload.city})` : ''} ${euros(String(m.payload.revenue), language)}`,
      );
    lines.push(
      fr
        ? `🏆 Records de magasin : ${andOthers(shown, records.length, language)}`
        : `🏆 Store best days: ${andOthers(shown, records.length, language)}`,
    );
  }
  return lines;
}

/**
 * One message for many milestones, when more wait than the channel can take: how many, then a line per
 * rule (the highest revenue step, the products' highest steps, the big sales' count, total and largest,
 * the stores' records). With `backfill`, the summary of the milestones a backfill crossed, named for it.
 * Plain text, rendered literally, like {@link formatMilestone}.
 */
export function formatDigest(milestones: Milestone[], language: Language, backfill?: string): SlackMessage {
  const n = milestones.length;
  const header =
    backfill === undefined
      ? language === 'fr'
        ? `📣 ${n} jalons d’un coup`
        : `📣 ${n} milestones at once`
      : language === 'fr'
        ? `📚 Historique chargé (${backfill}) : ${n} jalon${n > 1 ? 's' : ''} franchi${n > 1 ? 's' : ''}`
        : `📚 History loaded (${backfill}): ${n} milestone${n > 1 ? 's' : ''} crossed`;
  let sentence = [header, ...digestLines(milestones, language)].join('\n');
  if (sentence.length > MAX_TEXT) sentence = `${sentence.slice(0, MAX_TEXT - 1)}…`;
  return {
    text: escapeSlackText(sentence),
    blocks: [{ type: 'section', text: { type: 'plain_text', text: sentence, emoji: true } }],
  };
}
