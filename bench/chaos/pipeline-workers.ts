import path from 'node:path';
import type { RunningStack } from '@sales-pipeline/stack';
import type { FakeSlack } from '../../test-support/fake-slack.ts';
import { WorkerSupervisor, type WorkerEvent } from './supervisor.ts';

/** The four workers' environment for a chaos run: the stack, short session timeouts, the fake Slack. */
export function chaosWorkerEnv(
  stack: Pick<RunningStack, 'endpoints' | 'secrets'>,
  notifier: { slack: FakeSlack; slackUrl: string; rulesFile: string },
): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    KAFKA_BROKERS: stack.endpoints.kafkaBrokers,
    DATABASE_URL: stack.secrets.databaseUrl,
    DATABASE_READER_URL: stack.secrets.readerDatabaseUrl,
    LOG_LEVEL: 'warn',
    CONSUMER_SESSION_TIMEOUT_MS: '6000',
    ANALYTICS_SESSION_TIMEOUT_MS: '6000',
    NOTIFIER_SESSION_TIMEOUT_MS: '6000',
    LAST_LINE_IDLE_MS: '1000',
    URL_POLL_INTERVAL_MS: '500',
    SLACK_BOT_TOKEN: notifier.slack.token,
    SLACK_CHANNEL: notifier.slack.channel,
    SLACK_API_URL: notifier.slackUrl,
    SLACK_MIN_INTERVAL_MS: '10',
    MILESTONE_RULES_FILE: notifier.rulesFile,
    // One post per milestone, so that each is checked against its own message (digests, which carry
    // several, have kill -9 tests of their own in notifier/test/notify.int.test.ts).
    NOTIFIER_DIGEST_AFTER: '0',
  };
}

/**
 * The workers under supervision (respawned when killed or when they exit), not started yet: the producer
 * follows the growing feed `files.sales`, the snapshot producer polls the correction phase's export, the
 * backfill loads a history file beside them. Each logs to `<logDir>/<worker>.log`.
 */
export function superviseWorkers(
  files: { sales: string; products: string; stores: string },
  feedId: string,
  /** The correction phase's export (a URL, read as versions) and its feed id. */
  snapshot: { url: string; feedId: string },
  /** The backfill phase's history (a finished file) and its feed id. */
  history: { file: string; feedId: string },
  env: NodeJS.ProcessEnv,
  logDir: string,
  onEvent: (event: WorkerEvent) => void,
) {
  const worker = (name: string, args: string[]) =>
    new WorkerSupervisor(name, args, env, path.join(logDir, `${name}.log`), onEvent);
  return {
    producer: worker('producer', [
      'produce',
      '--follow',
      '--sales',
      files.sales,
      '--products',
      files.products,
      '--stores',
      files.stores,
      '--feed-id',
      feedId,
    ]),
    'snapshot-producer': worker('snapshot-producer', [
      'produce',
      '--follow',
      '--sales',
      snapshot.url,
      '--feed-id',
      snapshot.feedId,
    ]),
    // Once its history is through the pipeline it exits 0 and is done; killed, it is run again and resumes.
    // Small steps: the history goes through in many, so that its kill (once part of it is in) lands before
    // it finishes, whatever the run's size; the queue stays at its default, so that it finishes early and
    // the live milestones after it are posted one by one.
    backfill: new WorkerSupervisor(
      'backfill',
      ['backfill', history.file, '--feed-id', history.feedId],
      { ...env, BACKFILL_READ_BYTES: '8192' },
      path.join(logDir, 'backfill.log'),
      onEvent,
      1_000,
      true,
    ),
    consumer: worker('consumer', ['consume']),
    analytics: worker('analytics', ['analytics']),
    notifier: worker('notifier', ['notify']),
  };
}
