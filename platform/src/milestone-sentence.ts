/**
 * What a milestone says, in French or English: the sentence the notifier posts to Slack and the dashboard
 * shows. Shared, so that both say the same thing; rendering (Slack's escaping, HTML) is each one's own.
 */

/** A milestone found in the change stream; unique per rule, subject and step. */
export interface Milestone {
  /**
   * `feed_held` is not detected from the change stream: the consumer records it in the outbox when the producer holds back
   * a feed version that would cancel too many sales (the feed is the subject, the hold number the step).
   * Nor are `aggregate_drift` (the analytics worker's verifier: the aggregate and key, the drift number)
   * and `feed_stale` / `feed_recovered` (the consumer's stale feed watch: the feed, the episode number).
   */
  rule:
    | 'revenue_total'
    | 'product_units'
    | 'big_sale'
    | 'store_best_day'
    | 'feed_held'
    | 'aggregate_drift'
    | 'feed_stale'
    | 'feed_recovered';
  subject: string;
  /** The step crossed (euros, units), the threshold, or the day as YYYYMMDD. */
  step: string;
  payload: Record<string, string | number | null>;
  /** When the earliest feed line behind the change was seen (epoch ms), for the line → milestone latency. */
  lineSeenAt?: number;
}

export type Language = 'fr' | 'en';

/** Names and places for the message, read when the milestone was detected. */
export interface MilestoneContext {
  productName?: string | null;
  city?: string | null;
}

/** An amount in euros as people write it: `5 000 €`, `1 234,50 €` (fr), `€5,000`, `€1,234.50` (en). */
export function euros(value: string | number, language: Language): string {
  const amount = typeof value === 'number' ? value.toFixed(2) : value;
  const [units = '0', cents = '00'] = amount.split('.');
  const whole = cents.replace(/0+$/, '') === '';
  if (language === 'en')
    return `€${units.replace(/\B(?=(\d{3})+(?!\d))/g, ',')}${whole ? '' : `.${cents.padEnd(2, '0')}`}`;
  return `${units.replace(/\B(?=(\d{3})+(?!\d))/g, '\u202f')}${whole ? '' : `,${cents.padEnd(2, '0')}`} €`;
}

/** The sentence of a milestone. User data (names, cities) is inserted as is: the caller renders it literally. */
export function milestoneSentence(m: Milestone, context: MilestoneContext, language: Language): string {
  const p = m.payload;
  const product = context.productName ?? String(p.product_id ?? m.subject);
  const fr = language === 'fr';
  switch (m.rule) {
    case 'revenue_total':
      return fr
        ? `🎉 Le chiffre d'affaires total vient de dépasser ${euros(m.step, language)}`
        : `🎉 Total revenue just passed ${euros(m.step, language)}`;
    case 'product_units':
      return fr ? `📦 ${product} : ${m.step} unités vendues` : `📦 ${product}: ${m.step} units sold`;
    case 'big_sale':
      return fr
        ? `💰 Grosse vente : ${euros(String(p.amount), language)} (${p.quantity} × ${product}${context.city ? `, ${context.city}` : ''})`
        : `💰 Big sale: ${euros(String(p.amount), language)} (${p.quantity} × ${product}${context.city ? `, ${context.city}` : ''})`;
    case 'feed_held':
      if (Number(p.live_sales) === 0)
        return fr
          ? `⚠️ Flux ${m.subject} : remplacé par un fichier qui répète des ventes déjà publiées, sans pouvoir le comparer avec elles. Rien n'est lu ; voir sales-pipeline status`
          : `⚠️ Feed ${m.subject}: replaced by a file that repeats sales already published, which it cannot be compared with. Nothing read; see sales-pipeline status`;
      return fr
        ? `⚠️ Flux ${m.subject} : nouvelle version retenue, elle annulerait ${p.cancels} des ${p.live_sales} ventes. Rien n'est appliqué ; si c'est voulu : sales-pipeline feed accept ${m.subject}`
        : `⚠️ Feed ${m.subject}: new version held back, it would cancel ${p.cancels} of its ${p.live_sales} sales. Nothing applied; if intended: sales-pipeline feed accept ${m.subject}`;
    case 'aggregate_drift':
      return fr
        ? `🚨 Écart : ${p.aggregate} ${p.key} indique ${euros(String(p.stored_revenue), language)}, ses ventes font ${euros(String(p.recomputed_revenue), language)}. Laissé tel quel ; corriger avec : sales-pipeline reconcile --repair`
        : `🚨 Drift: ${p.aggregate} ${p.key} holds ${euros(String(p.stored_revenue), language)}, its sales add up to ${euros(String(p.recomputed_revenue), language)}. Left as is; fix it with: sales-pipeline reconcile --repair`;
    case 'feed_stale':
      return fr
        ? `⏸️ Flux ${m.subject} : rien de nouveau depuis ${String(p.last_growth_at)} (plus de ${p.stale_after})`
        : `⏸️ Feed ${m.subject}: nothing new since ${String(p.last_growth_at)} (over ${p.stale_after})`;
    case 'feed_recovered':
      return fr
        ? `▶️ Flux ${m.subject} : il reprend (${String(p.last_growth_at)})`
        : `▶️ Feed ${m.subject}: growing again (${String(p.last_growth_at)})`;
    case 'store_best_day':
      return fr
        ? `🏆 Record du magasin ${m.subject}${context.city ? ` (${context.city})` : ''} : ${euros(String(p.revenue), language)} le ${String(p.day)}`
        : `🏆 Store ${m.subject}${context.city ? ` (${context.city})` : ''} best day ever: ${euros(String(p.revenue), language)} on ${String(p.day)}`;
  }
}
