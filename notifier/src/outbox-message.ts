import type { NotifierConfig } from './config.ts';
import type { Milestone } from './detect-milestones.ts';
import { formatDigest } from './format-digest.ts';
import { formatMilestone, type SlackMessage } from './format-milestone.ts';
import type { ClaimedPost } from './milestone-store.ts';

/** A milestone's message alone, with the names it was recorded with. */
export function messageOfOne(m: Milestone, config: NotifierConfig): SlackMessage {
  const context = {
    productName: (m.payload.product_name as string | null) ?? null,
    city: (m.payload.city as string | null) ?? null,
  };
  return formatMilestone(m, context, config.NOTIFIER_LANGUAGE);
}

/** The message for a claimed post: the milestone's own, a digest of them, or a backfill's summary. */
export function messageOf(claim: ClaimedPost, config: NotifierConfig): SlackMessage {
  if (claim.summary)
    return formatDigest(claim.summary, config.NOTIFIER_LANGUAGE, claim.backfill ?? undefined);
  const [only, ...others] = claim.milestones;
  if (only && others.length === 0) return messageOfOne(only, config);
  return formatDigest(claim.milestones, config.NOTIFIER_LANGUAGE);
}
