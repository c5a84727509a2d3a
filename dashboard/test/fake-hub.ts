import type { HubView } from '../src/server/http-server.ts';
import type { DashboardEvent } from '../src/shared/types.ts';
import { fakeDeadLetters, fakeMilestones, fakePipeline, fakeSales, fakeSources } from './fake-sections.ts';

/** A hub with fixed sections; `emit` pushes an event to the open pages as the real one does. */
export class FakeHub implements HubView {
  sales: HubView['sales'] = fakeSales();
  milestones: HubView['milestones'] = fakeMilestones;
  deadLetters: HubView['deadLetters'] = fakeDeadLetters;
  pipeline: HubView['pipeline'] = fakePipeline();
  sources: HubView['sources'] = fakeSources();
  private readonly listeners = new Set<(event: DashboardEvent) => void>();

  current(): DashboardEvent[] {
    return [
      { type: 'sources', data: this.sources },
      ...(this.sales ? [{ type: 'sales' as const, data: this.sales }] : []),
      ...(this.milestones ? [{ type: 'milestones' as const, data: this.milestones }] : []),
      ...(this.deadLetters ? [{ type: 'deadLetters' as const, data: this.deadLetters }] : []),
      ...(this.pipeline ? [{ type: 'pipeline' as const, data: this.pipeline }] : []),
    ];
  }

  subscribe(listener: (event: DashboardEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async refreshPipeline(): Promise<void> {}

  emit(event: DashboardEvent): void {
    if (event.type === 'sales') this.sales = event.data;
    if (event.type === 'pipeline') this.pipeline = event.data;
    if (event.type === 'sources') this.sources = event.data;
    for (const listener of this.listeners) listener(event);
  }
}
