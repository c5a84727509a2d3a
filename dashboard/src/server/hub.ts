import type pg from 'pg';
import { Wakeup } from '@sales-pipeline/platform';
import { redactSecrets } from '../shared/redact.ts';
import type {
  DashboardEvent,
  DeadLettersSection,
  MilestoneView,
  PipelineSection,
  SalesSection,
  SourcesHealth,
} from '../shared/types.ts';
import { MinuteSeries } from './minute-series.ts';
import { SourceRates } from './source-rates.ts';
import type { PipelineSource } from './pipeline-source.ts';
import {
  readDeadLetters,
  readFingerprint,
  readMilestones,
  readMinuteSeed,
  readSales,
  type DeadLetterQuery,
} from './sales-source.ts';

export interface HubOptions {
  pool: pg.Pool;
  pipeline: PipelineSource;
  deadLetters: DeadLetterQuery;
  /**
   * How often the aggregates' fingerprint is read while a page is open (the page hears of a change
   * within about that). Default 500 ms.
   */
  pollMs?: number;
  /** … and while no page is open, only to keep the per-minute revenue complete. Default 5 s. */
  idlePollMs?: number;
  /** Pause between two reads of the pipeline's state while a page is open (each read samples 1 s). */
  pipelinePauseMs?: number;
}

const since = (ok: boolean, previous: { ok: boolean; since: string | null }) =>
  ok === previous.ok && previous.since ? previous.since : new Date().toISOString();

/**
 * Keeps the page's sections fresh and pushes each change to the open pages. The aggregates'
 * fingerprint is read every `pollMs` (always, so that the per-minute revenue stays complete); the
 * sections are re-read only when it changed and a page is open. The pipeline is read while a page is
 * open. A source that fails is reported as down, and re-read until it answers again.
 */
export class DashboardHub {
  sales: SalesSection | undefined;
  milestones: MilestoneView[] | undefined;
  deadLetters: DeadLettersSection | undefined;
  pipeline: PipelineSection | undefined;
  sources: SourcesHealth = {
    at: new Date().toISOString(),
    database: { ok: true, error: null, since: null },
    pipeline: { ok: true, error: null, since: null },
  };

  private readonly subscribers = new Set<(event: DashboardEvent) => void>();
  private readonly series = new MinuteSeries(60);
  private readonly sourceRates = new SourceRates();
  private readonly keys = { sales: '', milestones: '', deadLetters: '', minute: 0 };
  private readonly stop = new AbortController();
  /** A page opened: ends the idle pauses at once. */
  private readonly opened = new Wakeup();
  private loops: Promise<void>[] = [];
  private pipelineRead: Promise<void> | undefined;

  constructor(private readonly options: HubOptions) {}

  get clients(): number {
    return this.subscribers.size;
  }

  /** Every current section, in the order a page needs them. */
  current(): DashboardEvent[] {
    const events: DashboardEvent[] = [{ type: 'sources', data: this.sources }];
    if (this.sales) events.push({ type: 'sales', data: this.sales });
    if (this.milestones) events.push({ type: 'milestones', data: this.milestones });
    if (this.deadLetters) events.push({ type: 'deadLetters', data: this.deadLetters });
    if (this.pipeline) events.push({ type: 'pipeline', data: this.pipeline });
    return events;
  }

  subscribe(listener: (event: DashboardEvent) => void): () => void {
    if (this.subscribers.size === 0) {
      // Nothing was re-read while no page was open: the next poll re-reads every section.
      this.keys.sales = this.keys.milestones = this.keys.deadLetters = '';
      if (!this.pipeline || Date.now() - Date.parse(this.pipeline.at) > 3000) void this.refreshPipeline();
    }
    this.subscribers.add(listener);
    this.opened.notify();
    return () => this.subscribers.delete(listener);
  }

  private broadcast(event: DashboardEvent): void {
    for (const listener of this.subscribers) listener(event);
  }

  private setSource(name: 'database' | 'pipeline', error: unknown): void {
    const ok = error === undefined;
    const previous = this.sources[name];
    const message = ok ? null : redactSecrets((error as Error)?.message ?? String(error));
    if (previous.ok === ok && previous.error === message) return;
    this.sources = {
      ...this.sources,
      at: new Date().toISOString(),
      [name]: { ok, error: message, since: since(ok, previous) },
    };
    this.broadcast({ type: 'sources', data: this.sources });
  }

  /** Waits `ms`, or less when the hub closes (the platform's Wakeup, never notified here). */
  private pause(ms: number): Promise<void> {
    return new Wakeup().wait(ms, this.stop.signal);
  }

  /** One poll of the aggregates; re-reads the sections that changed. */
  async pollData(): Promise<void> {
    const { pool } = this.options;
    try {
      if (!this.series.seeded) {
        const seed = await readMinuteSeed(pool, 60);
        this.series.seed(seed.points, seed.total);
      }
      const fp = await readFingerprint(pool);
      const now = Date.now();
      this.series.observe({ revenue: fp.revenue, units: fp.units, sales: fp.sales }, now);
      this.setSource('database', undefined);
      const watched = this.subscribers.size > 0 || this.sales === undefined;
      if (!watched) return;
      const minute = Math.floor(now / 60_000);
      if (fp.salesKey !== this.keys.sales || minute !== this.keys.minute) {
        const sales = await readSales(pool);
        const rates = this.sourceRates.observe(sales.sources, now);
        this.sales = {
          at: new Date().toISOString(),
          ...sales,
          sources: sales.sources.map((source) => ({ ...source, perSecond: rates.get(source.name) ?? null })),
          perMinute: this.series.points(),
        };
        this.keys.sales = fp.salesKey;
        this.keys.minute = minute;
        this.broadcast({ type: 'sales', data: this.sales });
      }
      if (fp.milestonesKey !== this.keys.milestones) {
        this.milestones = await readMilestones(pool);
        this.keys.milestones = fp.milestonesKey;
        this.broadcast({ type: 'milestones', data: this.milestones });
      }
      if (fp.deadLettersKey !== this.keys.deadLetters) {
        this.deadLetters = await readDeadLetters(pool, this.options.deadLetters);
        this.keys.deadLetters = fp.deadLettersKey;
        this.broadcast({ type: 'deadLetters', data: this.deadLetters });
      }
    } catch (error) {
      this.setSource('database', error);
    }
  }

  /** One read of the pipeline's state (shared by concurrent callers). */
  refreshPipeline(): Promise<void> {
    this.pipelineRead ??= (async () => {
      try {
        this.pipeline = await this.options.pipeline.read();
        this.setSource('pipeline', undefined);
        this.broadcast({ type: 'pipeline', data: this.pipeline });
      } catch (error) {
        this.setSource('pipeline', error);
      } finally {
        this.pipelineRead = undefined;
      }
    })();
    return this.pipelineRead;
  }

  start(): void {
    const pollMs = this.options.pollMs ?? 500;
    const idlePollMs = this.options.idlePollMs ?? 5000;
    const pipelinePauseMs = this.options.pipelinePauseMs ?? 5000;
    this.loops = [
      (async () => {
        while (!this.stop.signal.aborted) {
          await this.pollData();
          if (this.subscribers.size > 0) await this.pause(pollMs);
          else await this.opened.wait(idlePollMs, this.stop.signal);
        }
      })(),
      (async () => {
        await this.refreshPipeline();
        while (!this.stop.signal.aborted) {
          await this.pause(pipelinePauseMs);
          if (this.subscribers.size > 0) await this.refreshPipeline();
        }
      })(),
    ];
  }

  async close(): Promise<void> {
    this.stop.abort();
    await Promise.all(this.loops);
    await this.pipelineRead;
  }
}
