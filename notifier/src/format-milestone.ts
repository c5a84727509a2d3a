import {
  milestoneSentence,
  type Language,
  type Milestone,
  type MilestoneContext,
} from '@sales-pipeline/platform';

/** A milestone ready for Slack: the fallback text and the Block Kit blocks. */
export interface SlackMessage {
  text: string;
  blocks: Array<{ type: 'section'; text: { type: 'plain_text'; text: string; emoji: boolean } }>;
}

/**
 * Escapes the three characters Slack's text syntax gives meaning to (`&`, `<`, `>`), so that
 * `<!channel>` or `<https://x|y>` cannot become a mention or a link in the fallback text.
 */
export function escapeSlackText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
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
