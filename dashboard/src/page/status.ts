/// <reference lib="dom" />
import type { Locale } from '../shared/format.ts';
import type { PipelineSection, SourcesHealth } from '../shared/types.ts';
import { pipelineProblems } from '../shared/view.ts';
import { byId, h } from './dom.ts';
import { label } from './i18n.ts';

/**
 * The page's health at a glance: the banner listing what is wrong (hidden when nothing is) and the
 * header's pill (live, degraded, or reconnecting while the event stream is down).
 */
export function renderStatus(
  connected: boolean,
  pipeline: PipelineSection | null,
  sources: SourcesHealth | null,
  l: Locale,
): void {
  const problems = connected ? pipelineProblems(pipeline, sources) : [label('dashboardDown', l)];
  const banner = byId('banner');
  banner.hidden = problems.length === 0;
  byId('problems').replaceChildren(...problems.map((p) => h('li', {}, p)));
  const live = byId('live');
  live.textContent = !connected
    ? label('reconnecting', l)
    : problems.length
      ? label('degraded', l)
      : label('live', l);
  live.className = `pill ${!connected ? 'pill-wait' : problems.length ? 'pill-bad' : 'pill-ok'}`;
}
