/**
 * The bad-input corpus (producer/test/corpus/README.md) through the real producer and the real consumer
 * into PostgreSQL: every line of every hostile feed ends up as exactly one sale or one rejected row with
 * its reason, none twice, none lost.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { produceOnce, startWorker, stopWorker, type Worker } from '../../test-support/cli-processes.ts';
import { tempDir } from '../../test-support/client-feeds.ts';
import { eventually } from '../../test-support/eventually.ts';
import { createPipelineTopics } from '../../test-support/kafka-clients.ts';
import { query, stackKafka } from '../../test-support/test-stack.ts';
import { consumerEnv, isolatedTopics, producerEnv } from '../../test-support/worker-env.ts';
import { generateCorpus, physicalLines, type CorpusCase, type RejectedLine } from './corpus/generate.ts';

const CORPUS = path.join(import.meta.dirname, 'corpus');
/** Producers run side by side (each is a Node process of its own; the machine has 2 cores). */
const PRODUCER_CONCURRENCY = 3;

interface SmallExpectation {
  headerAccepted: boolean;
  sales: number[];
  rejected: RejectedLine[];
}

function smallCases(): CorpusCase[] {
  const expected = JSON.parse(fs.readFileSync(path.join(CORPUS, 'expected.json'), 'utf8')) as Record<
    string,
    SmallExpectation
  >;
  return Object.entries(expected).map(([file, outcome]) => ({
    name: file.replace(/\.csv$/, ''),
    file: path.join(CORPUS, file),
    ...outcome,
  }));
}

interface Produced {
  code: number | null;
  stdout: string;
  stderr: string;
  /** The counts the producer printed: rows published, dead letters, header lines. */
  counts: { rows: number; deadLetters: number; headers: number } | undefined;
}

interface SaleRow {
  line_number: string;
  sale_id: string;
}
interface RejectedRow {
  stage: string;
  line_number: string | null;
  reason: string;
  raw_line: string | null;
}

/** One input record as found in the database (or the accepted header), for the tiling check. */
interface Accounted {
  line: number;
  /** Physical lines it spans; undefined when its raw text was cut (a line over the limit). */
  span: number | undefined;
  what: string;
}

async function mapLimit<T, R>(items: T[], limit: number, run: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await run(items[index] as T);
    }
  });
  await Promise.all(lanes);
  return results;
}

function printedCounts(result: { stdout: string; stderr: string }, feed: string): Produced['counts'] {
  const match = new RegExp(
    `${feed.replace(/[.]/g, '\\.')} \\(sales\\): (\\d+) published, (\\d+) dead-lettered, (\\d+) header line`,
  ).exec(result.stdout);
  if (match) return { rows: Number(match[1]), deadLetters: Number(match[2]), headers: Number(match[3]) };
  // A feed whose header is refused stops the producer (exit code 2) with what it dead-lettered.
  const refused = new RegExp(
    `feed ${feed.replace(/[.]/g, '\\.')} .* has a wrong header: .*; (\\d+) line\\(s\\) dead-lettered this run`,
  ).exec(result.stderr);
  if (refused) return { rows: 0, deadLetters: Number(refused[1]), headers: 0 };
  return undefined;
}

/** Whether the case's header is refused: none of its lines can be a row, and the producer says so. */
const headerRefused = (c: CorpusCase) =>
  c.rejected.some((r) => r.line === 1 && r.reason.startsWith('invalid header'));

/**
 * Checks that the records tile the file's physical lines: they start at line 1, each starts where the
 * previous one ends, and the last one ends on the last line. Returns the problems found.
 */
function tilingProblems(records: Accounted[], lines: number): string[] {
  const problems: string[] = [];
  let expectedStart = 1;
  let known = true;
  for (const record of records) {
    if (known ? record.line !== expectedStart : record.line < expectedStart)
      problems.push(`${record.what} starts on line ${record.line}, expected ${expectedStart}`);
    known = record.span !== undefined;
    expectedStart = record.line + (record.span ?? 1);
  }
  const lastEnd = expectedStart - 1;
  if (known ? lastEnd !== lines : lastEnd > lines)
    problems.push(`the records end on line ${lastEnd}, the file has ${lines} line(s)`);
  return problems;
}

const spanOf = (rejected: RejectedRow): number | undefined =>
  /longer than \d+ bytes/.test(rejected.reason) ? undefined : (rejected.raw_line ?? '').split('\n').length;

describe('the bad-input corpus, producer → Kafka → consumer → PostgreSQL', () => {
  const topics = isolatedTopics('corpus');
  const run = `${Date.now().toString(36)}`;
  const feedId = (c: CorpusCase) => `corpus-${c.name}-${run}`;
  const cases = [...smallCases(), ...generateCorpus(tempDir())];
  const produced = new Map<string, Produced>();
  let consumer: Worker | undefined;
  let started = 0;

  beforeAll(async () => {
    started = Date.now();
    await createPipelineTopics(stackKafka('corpus-test'), topics);

    consumer = startWorker(['consume'], consumerEnv(topics));
    const env = producerEnv(topics);
    await mapLimit(cases, PRODUCER_CONCURRENCY, async (c) => {
      const result = await produceOnce(['--sales', c.file, '--feed-id', feedId(c)], env);
      produced.set(c.name, { ...result, counts: printedCounts(result, feedId(c)) });
    });

    // Wait until the consumer has stored everything each producer says it published.
    const expectedTotal = [...produced.values()].reduce(
      (sum, p) => sum + (p.counts ? p.counts.rows + p.counts.deadLetters : 0),
      0,
    );
    const feeds = cases.map(feedId);
    await eventually(
      async () => {
        const [row] = await query<{ n: string }>(
          `SELECT (SELECT count(*) FROM sales WHERE feed = ANY($1)) +
                  (SELECT count(*) FROM rejected_rows WHERE topic = ANY($2)) AS n`,
          [feeds, [topics.sales, topics.deadLetter, topics.products, topics.stores]],
        );
        return Number(row?.n);
      },
      (n) => n >= expectedTotal,
      60_000,
    ).catch((error: Error) => {
      throw new Error(`${error.message}\nconsumer output:\n${consumer?.output() ?? ''}`);
    });
  });

  afterAll(async () => {
    if (consumer) expect(await stopWorker(consumer), consumer.output()).toBe(0);
    process.stderr.write(
      `corpus: ${cases.length} feeds through the pipeline in ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
    );
  });

  it.each(cases.map((c) => [c.name, c] as const))(
    '%s: every line is one sale or one rejected row',
    async (_, c) => {
      const feed = feedId(c);
      const result = produced.get(c.name);
      // A refused header is a configuration error: exit code 2, after every line was dead-lettered.
      expect(result?.code, result?.stderr).toBe(headerRefused(c) ? 2 : 0);
      if (headerRefused(c)) expect(result?.stderr).toContain(`feed ${feed} (${c.file}) has a wrong header`);

      const sales = await query<SaleRow>(
        'SELECT line_number, sale_id FROM sales WHERE feed = $1 ORDER BY line_number',
        [feed],
      );
      const rejected = await query<RejectedRow>(
        'SELECT stage, line_number, reason, raw_line FROM rejected_rows WHERE feed = $1 ORDER BY line_number',
        [feed],
      );

      // Sales: exactly the expected lines, each once, with its deterministic id.
      expect(sales.map((s) => Number(s.line_number))).toEqual(c.sales);
      expect(sales.map((s) => s.sale_id)).toEqual(c.sales.map((line) => `${feed}/0/${line}`));

      // Rejected rows: the expected lines with the gist of their reason, by the producer.
      expect(rejected.every((r) => r.stage === 'producer')).toBe(true);
      const listed = new Map(c.rejected.map((r) => [r.line, r.reason]));
      for (const r of rejected) {
        const gist = listed.get(Number(r.line_number)) ?? c.otherRejected;
        expect(gist, `unexpected rejection of line ${r.line_number}: ${r.reason}`).toBeDefined();
        expect(r.reason, `line ${r.line_number}`).toContain(gist);
        // A reason is a sentence, not a dump of the input.
        expect(r.reason.length, `line ${r.line_number}`).toBeLessThan(1_000);
      }
      const rejectedLines = rejected.map((r) => Number(r.line_number));
      expect(rejectedLines).toEqual(expect.arrayContaining(c.rejected.map((r) => r.line)));
      if (c.otherRejected === undefined) expect(rejectedLines).toEqual(c.rejected.map((r) => r.line));

      // Accounting: sales + rejected rows = input lines (CSV records) − the accepted header, and the
      // records tile the file's physical lines: no line counted twice, none lost.
      const records: Accounted[] = [
        ...(c.headerAccepted ? [{ line: 1, span: 1, what: 'the header' }] : []),
        ...sales.map((s) => ({ line: Number(s.line_number), span: 1, what: `sale ${s.sale_id}` })),
        ...rejected.map((r) => ({
          line: Number(r.line_number),
          span: spanOf(r),
          what: `rejected line ${r.line_number}`,
        })),
      ].sort((a, b) => a.line - b.line);
      const lines = physicalLines(fs.readFileSync(c.file));
      expect(tilingProblems(records, lines)).toEqual([]);
      if (c.otherRejected === undefined)
        expect(sales.length + rejected.length).toBe(c.sales.length + c.rejected.length);

      // What the producer printed agrees with what the database holds.
      expect(result?.counts).toEqual({
        rows: sales.length,
        deadLetters: rejected.length,
        headers: c.headerAccepted ? 1 : 0,
      });
    },
  );

  it('the consumer refused nothing on its side (every rejection is the producer’s, with its feed)', async () => {
    const consumerRejections = await query<{ reason: string }>(
      "SELECT reason FROM rejected_rows WHERE stage = 'consumer' AND topic = ANY($1)",
      [[topics.sales, topics.deadLetter, topics.products, topics.stores]],
    );
    expect(consumerRejections).toEqual([]);
  });

  it('a missing feed file is a whole-run failure with a clear error, nothing published', async () => {
    const missing = path.join(tempDir(), 'ventes-absentes.csv');
    const result = await produceOnce(
      ['--sales', missing, '--feed-id', `corpus-missing-${run}`],
      producerEnv(topics),
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`feed file ${missing} does not exist`);
  });
});
