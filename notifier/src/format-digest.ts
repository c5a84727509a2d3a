import type { Milestone } from './detect-milestones.ts';
import { euros, milestoneSentence, type Language } from '@sales-pipeline/platform';
import { escapeSlackText, type SlackMessage } from './format-milestone.ts';
import { centsToDecimal, toCents } from './money.ts';

/** The most subjects a digest names per rule; the others are counted. */
export const NAMED = 5;
/** Slack's limit for a plain_text section is 3,000 characters: the digest stays under it. */
const MAX_TEXT = 2_900;

const name = (m: Milestone, key: 'product_name' | 'city', fallback: string) =>
  (m.payload[key] as string | null | undefined) ?? fallback;

/**
 * What a digest says, rule by rule: computed here from the milestones of a live digest
 * ({@link digestFacts}), or by the database for a backfill's summary, whatever its number of milestones
 * (milestone-store's `summaryFacts`, the same rules in SQL).
 */
export interface DigestFacts {
  /** Every milestone of the post. */
  count: number;
  /** The highest revenue step, and how many steps. */
  revenue: { highest: Milestone; steps: number } | undefined;
  /** Each product's highest step, highest first (ties by product id), at most {@link NAMED}; and how many products. */
  products: { highest: Milestone[]; count: number };
  /** Big sales: how many, their total (a decimal, exact), the largest (the first of equals). */
  bigSales: { count: number; total: string; largest: Milestone } | undefined;
  /**
   * Held feed versions, oldest first; alerts, rule by rule ({@link ALERT_RULES}'s order), oldest first;
   * at most {@link LISTED} of each.
   */
  held: Milestone[];
  alerts: Milestone[];
  /** Store records: the first {@link NAMED}, oldest first, and how many. */
  records: { first: Milestone[]; count: number };
}

/** The most held versions, and alerts, a digest lists (a message holds fewer: it is cut at MAX_TEXT). */
export const LISTED = 50;

/** The rules whose milestones are alerts: a digest gives each its own sentence. */
export const ALERT_RULES: ReadonlyArray<Milestone['rule']> = [
  'aggregate_drift',
  'feed_stale',
  'feed_recovered',
];

/** Code-unit order of two ids: the database's `COLLATE "C"` for the ids the pipeline accepts. */
const byId = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** The highest step of each subject, highest first, equal steps by subject. */
function highestBySubject(milestones: Milestone[]): Milestone[] {
  const best = new Map<string, Milestone>();
  for (const m of milestones) {
    const seen = best.get(m.subject);
    if (!seen || toCents(m.step) > toCents(seen.step)) best.set(m.subject, m);
  }
  return [...best.values()].sort((a, b) => {
    const [x, y] = [toCents(a.step), toCents(b.step)];
    return x === y ? byId(a.subject, b.subject) : y > x ? 1 : -1;
  });
}

/** A digest's facts from its milestones, oldest first. Pure; money compared and summed in cents. */
export function digestFacts(milestones: Milestone[]): DigestFacts {
  const of = (rule: Milestone['rule']) => milestones.filter((m) => m.rule === rule);
  const revenue = of('revenue_total');
  const highestRevenue = highestBySubject(revenue)[0];
  const products = highestBySubject(of('product_units'));
  const big = of('big_sale');
  const amount = (m: Milestone) => toCents(m.payload.amount);
  const records = of('store_best_day');
  return {
    count: milestones.length,
    revenue: highestRevenue && { highest: highestRevenue, steps: revenue.length },
    products: { highest: products.slice(0, NAMED), count: products.length },
    bigSales:
      big.length === 0
        ? undefined
        : {
            count: big.length,
            total: centsToDecimal(big.reduce((sum, m) => sum + amount(m), 0n)),
            largest: big.reduce((a, b) => (amount(b) > amount(a) ? b : a)),
          },
    held: of('feed_held').slice(0, LISTED),
    alerts: ALERT_RULES.flatMap(of).slice(0, LISTED),
    records: { first: records.slice(0, NAMED), count: records.length },
  };
}

function andOthers(shown: string[], total: number, language: Language): string {
  const more = total - shown.length;
  if (more <= 0) return shown.join(', ');
  return `${shown.join(', ')} ${language === 'fr' ? `et ${more} autre${more > 1 ? 's' : ''}` : `and ${more} more`}`;
}

/** One line per rule. Pure. */
function digestLines(facts: DigestFacts, language: Language): string[] {
  const fr = language === 'fr';
  const lines: string[] = [];
  if (facts.revenue) {
    const { highest, steps } = facts.revenue;
    lines.push(
      fr
        ? `🎉 Chiffre d'affaires total : plus de ${euros(highest.step, language)}${steps > 1 ? ` (${steps} paliers)` : ''}`
        : `🎉 Total revenue: over ${euros(highest.step, language)}${steps > 1 ? ` (${steps} steps)` : ''}`,
    );
  }
  if (facts.products.count > 0) {
    const shown = facts.products.highest.map(
      (m) => `${name(m, 'product_name', m.subject)} ${m.step}${fr ? ' unités' : ' units'}`,
    );
    const list = andOthers(shown, facts.products.count, language);
    lines.push(fr ? `📦 Produits : ${list}` : `📦 Products: ${list}`);
  }
  if (facts.bigSales) {
    const { count, total, largest } = facts.bigSales;
    const where = `${largest.payload.quantity} × ${name(largest, 'product_name', String(largest.payload.product_id))}${largest.payload.city ? `, ${largest.payload.city}` : ''}`;
    lines.push(
      fr
        ? `💰 ${count} grosse${count > 1 ? 's' : ''} vente${count > 1 ? 's' : ''} (${euros(total, language)} en tout), la plus grosse : ${euros(String(largest.payload.amount), language)} (${where})`
        : `💰 ${count} big sale${count > 1 ? 's' : ''} (${euros(total, language)} in all), the largest: ${euros(String(largest.payload.amount), language)} (${where})`,
    );
  }
  for (const held of facts.held) {
    lines.push(
      fr
        ? `⚠️ Flux ${held.subject} : version retenue (${held.payload.cancels} annulations), voir sales-pipeline feed accept`
        : `⚠️ Feed ${held.subject}: version held back (${held.payload.cancels} cancellations), see sales-pipeline feed accept`,
    );
  }
  for (const m of facts.alerts) lines.push(milestoneSentence(m, {}, language));
  if (facts.records.count > 0) {
    const shown = facts.records.first.map(
      (m) =>
        `${m.subject}${m.payload.city ? ` (${m.payload.city})` : ''} ${euros(String(m.payload.revenue), language)}`,
    );
    lines.push(
      fr
        ? `🏆 Records de magasin : ${andOthers(shown, facts.records.count, language)}`
        : `🏆 Store best days: ${andOthers(shown, facts.records.count, language)}`,
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
export function formatDigest(
  milestones: Milestone[] | DigestFacts,
  language: Language,
  backfill?: string,
): SlackMessage {
  const facts = Array.isArray(milestones) ? digestFacts(milestones) : milestones;
  const n = facts.count;
  const header =
    backfill === undefined
      ? language === 'fr'
        ? `📣 ${n} jalons d’un coup`
        : `📣 ${n} milestones at once`
      : language === 'fr'
        ? `📚 Historique chargé (${backfill}) : ${n} jalon${n > 1 ? 's' : ''} franchi${n > 1 ? 's' : ''}`
        : `📚 History loaded (${backfill}): ${n} milestone${n > 1 ? 's' : ''} crossed`;
  let sentence = [header, ...digestLines(facts, language)].join('\n');
  if (sentence.length > MAX_TEXT) sentence = `${sentence.slice(0, MAX_TEXT - 1)}…`;
  return {
    text: escapeSlackText(sentence),
    blocks: [{ type: 'section', text: { type: 'plain_text', text: sentence, emoji: true } }],
  };
}
