import type { FeedOutput } from '../parse/feed-parser.ts';
import type { TopicMessages } from '../publish/kafka-publisher.ts';
import type { ProducerMetrics } from '../producer-metrics.ts';
import { emptyCounts, type FeedCounts, type Progress } from './progress.ts';

/** What one feed has read and published so far: its counts, its metrics and its progress line. */
export class FeedTally {
  readonly counts: FeedCounts = emptyCounts();

  constructor(
    private readonly feed: string,
    private readonly deadLetterTopic: string,
    private readonly metrics: ProducerMetrics,
    private readonly progress: Progress,
  ) {}

  /** Counts what each record read became. */
  read(outputs: FeedOutput[]): void {
    const { feed } = this;
    for (const output of outputs) {
      if (output.type === 'header') {
        this.counts.headers++;
        this.metrics.linesRead.inc({ feed, outcome: 'header' });
      } else if (output.type === 'dead') {
        this.counts.deadLetters++;
        this.metrics.linesRead.inc({ feed, outcome: 'dead_letter' });
      } else {
        this.counts.rows++;
        this.metrics.linesRead.inc({ feed, outcome: output.row.kind });
      }
    }
  }

  /** Counts a transaction committed with these messages. */
  published(messages: TopicMessages): void {
    const { feed } = this;
    this.metrics.transactions.inc({ feed });
    for (const [topic, list] of messages) {
      this.metrics.messagesPublished.inc({ feed, topic }, list.length);
      if (topic === this.deadLetterTopic) this.metrics.deadLettered.inc({ feed }, list.length);
    }
  }

  /** A snapshot version applied: what it changed. */
  versionApplied(counts: { newSales: number; amendments: number; cancellations: number }): void {
    this.counts.versions++;
    this.counts.newSales += counts.newSales;
    this.counts.amendments += counts.amendments;
    this.counts.cancellations += counts.cancellations;
    this.metrics.versionChanges.inc({ feed: this.feed, change: 'new_sale' }, counts.newSales);
    this.metrics.versionChanges.inc({ feed: this.feed, change: 'amendment' }, counts.amendments);
    this.metrics.versionChanges.inc({ feed: this.feed, change: 'cancellation' }, counts.cancellations);
  }

  /** A snapshot version held back (too many cancellations). */
  versionHeld(): void {
    this.counts.held++;
  }

  /** A source found to have rewritten rows it had served (counted before it is reported). */
  rewriteFound(): void {
    this.metrics.sourceRewrites.inc({ feed: this.feed });
  }

  /** The rewrite's dead letter committed. */
  rewriteReported(): void {
    this.counts.rewrites++;
    this.metrics.deadLettered.inc({ feed: this.feed });
  }

  /** Where the feed stands: `offset` bytes of `size` published. */
  position(offset: number, size: number): void {
    this.metrics.bytesBehind.set({ feed: this.feed }, Math.max(0, size - offset));
    this.progress.update(this.counts, offset, size);
  }

  /** The feed is finished (or failed): the last progress line. */
  done(): void {
    this.progress.done(this.counts);
  }
}
