import type { Milestone } from './detect-milestones.ts';

/** A milestone ready for Slack: the fallback text and the Block Kit blocks. */
export interface SlackMessage {
  text: string;
  blocks: Array<{ type: 'section'; text: { type: 'plain_text'; text: string; emoji: boolean } }>;
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

/**
 * Escapes the three characters Slack's text syntax gives meaning to (`&`, `<`, `>`), so that
 * `<!channel>` or `<https://x|y>` cannot become a mention or a link in the fallback text.
 */
export function escapeSlackText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
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

/**
 * Block Kit with a plain-text fallback. The block's text is `plain_text`, which Slack renders literally:
 * no mention, no link, no bold; the fallback is escaped and posted with `mrkdwn: false`.
 */
export function formatMilestone(m: Milestone, context: MilestoneContext, language: Language): SlackMessage {
  const sentence = milestoneSentence(m, context, language);
  return {
    text: escapeSlackText(sentence),
    blocks: [{ type: 'section', text: { type: 'plain_text', text: sentence, emoji: true } }],
  };
}
