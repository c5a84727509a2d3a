/// <reference lib="dom" />
import type { Locale } from '../shared/format.ts';
import type { MilestoneView } from '../shared/types.ts';
import { byId, h } from './dom.ts';
import { label } from './i18n.ts';

/**
 * The last milestones posted to Slack, each as the notifier wrote it (as text) with when and how it
 * was sent; a muted line while there is none. `dateTime` writes a timestamp as the page does.
 */
export function renderMilestones(
  milestones: readonly MilestoneView[],
  locale: Locale,
  dateTime: (iso: string | null) => string,
): void {
  const items = milestones.map((m) =>
    h(
      'li',
      { testid: 'milestone' },
      h('span', {}, m.text[locale]),
      h('span', { class: 'meta' }, `${dateTime(m.sentAt ?? m.detectedAt)} · ${m.status}`),
    ),
  );
  byId('milestones').replaceChildren(
    ...(items.length ? items : [h('li', { class: 'muted' }, label('noMilestone', locale))]),
  );
}
