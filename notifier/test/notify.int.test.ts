import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { createLogger } from '@sales-pipeline/platform';
import { REPO_ROOT, loadStackConfig, startStack, type RunningStack } from '@sales-pipeline/stack';
import { eventually, startWorker, stopWorker, type Worker } from '../../consumer/test/consumer-harness.ts';
import { CLIENT_DATA, produceOnce } from '../../producer/test/producer-harness.ts';
import { FakeSlack } from './fake-slack.ts';

/** A stack of its own: the milestones count from an empty database, as on the client's first day. */
const home = path.join(REPO_ROOT, '.stack', 'test-notifier');
let stack: RunningStack;
let slack: FakeSlack;
let slackUrl: string;
const workers: Worker[] = [];

beforeAll(async () => {
  fs.rmSync(home, { recursive: true, force: true });
  stack = await startStack(
    loadStackConfig({ ...process.env, SALES_PIPELINE_HOME: home }),
    createLogger('test-notifier-stack', 'warn'),
  );
  slack = new FakeSlack();
  slackUrl = await slack.start();
}, 240_000);

afterAll(async () => {
  await Promise.all(workers.map((w) => stopWorker(w)));
  await slack?.stop();
  await stack?.down();
  fs.rmSync(home, { recursive: true, force: true });
}, 120_000);

const env = (extra: Record<string, string> = {}) => ({
  PATH: process.env.PATH,
  HOME: process.env.HOME,
  KAFKA_BROKERS: stack.endpoints.kafkaBrokers,
  DATABASE_URL: stack.secrets.databaseUrl,
  LOG_LEVEL: 'warn',
  CONSUMER_SESSION_TIMEOUT_MS: '6000',
  ANALYTICS_SESSION_TIMEOUT_MS: '6000',
  NOTIFIER_SESSION_TIMEOUT_MS: '6000',
  ...extra,
});

async function milestones(): Promise<
  Array<{ rule: string; step: string; status: string; slack_ts: string | null }>
> {
  const client = new pg.Client({ connectionString: stack.secrets.adminDatabaseUrl });
  await client.connect();
  try {
    return (
      await client.query('SELECT rule, step::text, status, slack_ts FROM milestones ORDER BY milestone_id')
    ).rows;
  } finally {
    await client.end();
  }
}

describe('notify on the client files with the default rules', () => {
  it('posts exactly five revenue milestones (1,000 € … 5,000 €), each once, in order, across a kill -9 and Slack errors', async () => {
    onTestFailed(() => {
      for (const w of workers) console.error(w.spawnargs.slice(-1)[0], w.output().slice(-3000));
    });
    const produced = await produceOnce(
      [
        '--sales',
        path.join(CLIENT_DATA, 'ventes.csv'),
        '--products',
        path.join(CLIENT_DATA, 'produits.csv'),
        '--stores',
        path.join(CLIENT_DATA, 'magasins.csv'),
      ],
      env(),
    );
    expect(produced.code, produced.stderr).toBe(0);
    workers.push(startWorker(['consume'], env()), startWorker(['analytics'], env()));

    const progress = setInterval(() => {
      void milestones()
        .then((rows) =>
          console.error(
            `posted ${slack.posted.length}, requests ${slack.requests.length}, milestones ${JSON.stringify(rows.map((r) => r.rule + ':' + r.step + ':' + r.status))}`,
          ),
        )
        .catch(() => undefined);
    }, 10_000);
    const slackEnv = env({
      SLACK_BOT_TOKEN: slack.token,
      SLACK_CHANNEL: slack.channel,
      SLACK_API_URL: slackUrl,
    });
    slack.queue({ status: 429, retryAfter: 1 }, { status: 500 });
    const first = startWorker(['notify'], slackEnv);
    await eventually(
      async () => slack.posted.length,
      (n) => n >= 2,
      120_000,
    );
    first.kill('SIGKILL');
    await first.exited;
    const second = startWorker(['notify'], slackEnv);
    workers.push(second);

    const done = await eventually(
      milestones,
      (rows) =>
        rows.filter((r) => r.rule === 'revenue_total').length === 5 && rows.every((r) => r.status === 'sent'),
      120_000,
    );
    await new Promise((resolve) => setTimeout(resolve, 2000)); // nothing more arrives
    const revenuePosts = slack.posted.filter((m) => m.text.startsWith('🎉'));
    expect(revenuePosts.map((m) => m.text)).toEqual(
      ['1\u202f000', '2\u202f000', '3\u202f000', '4\u202f000', '5\u202f000'].map(
        (v) => `🎉 Le chiffre d'affaires total vient de dépasser ${v} €`,
      ),
    );
    const ids = slack.posted.map((m) => String(m.metadata?.event_payload.milestone_id));
    expect(new Set(ids).size).toBe(ids.length); // no milestone posted twice
    expect(slack.posted).toHaveLength(done.length);
    expect(done.filter((r) => r.rule === 'revenue_total').map((r) => r.step)).toEqual([
      '1000.00',
      '2000.00',
      '3000.00',
      '4000.00',
      '5000.00',
    ]);
    expect(new Set(done.map((r) => r.slack_ts))).toEqual(new Set(slack.posted.map((m) => m.ts)));
    expect(second.output()).not.toContain(slack.token);
    clearInterval(progress);
    await stopWorker(second);
    onTestFailed(() => clearInterval(progress));
  }, 300_000);
});

describe('notify with a wrong configuration, then without Slack', () => {
  async function addPending(subject: string): Promise<void> {
    const client = new pg.Client({ connectionString: stack.secrets.adminDatabaseUrl });
    await client.connect();
    try {
      await client.query(
        `INSERT INTO milestones (rule, subject, step, payload) VALUES ('product_units', $1, 25, $2)`,
        [subject, JSON.stringify({ product_id: subject, product_name: '<!channel> *Luxe*' })],
      );
    } finally {
      await client.end();
    }
  }
  async function statusOf(
    subject: string,
  ): Promise<{ status: string; last_error: string | null } | undefined> {
    const client = new pg.Client({ connectionString: stack.secrets.adminDatabaseUrl });
    await client.connect();
    try {
      return (await client.query('SELECT status, last_error FROM milestones WHERE subject = $1', [subject]))
        .rows[0];
    } finally {
      await client.end();
    }
  }

  it('reports invalid_auth clearly, keeps running and keeps the milestone; posts it literally once the token is right', async () => {
    await addPending('HOSTILE');
    const wrong = startWorker(
      ['notify'],
      env({ SLACK_BOT_TOKEN: 'xoxb-wrong-secret', SLACK_CHANNEL: slack.channel, SLACK_API_URL: slackUrl }),
    );
    await eventually(
      () => statusOf('HOSTILE'),
      (s) => !!s && s.last_error === 'invalid_auth',
      60_000,
    );
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(wrong.exitCode).toBeNull(); // no crash, no crash loop
    expect(await statusOf('HOSTILE')).toMatchObject({ status: 'pending' });
    expect(wrong.output()).toContain('SLACK_BOT_TOKEN is not a valid token');
    expect(wrong.output()).not.toContain('xoxb-wrong-secret');
    await stopWorker(wrong);

    const right = startWorker(
      ['notify'],
      env({ SLACK_BOT_TOKEN: slack.token, SLACK_CHANNEL: slack.channel, SLACK_API_URL: slackUrl }),
    );
    workers.push(right);
    await eventually(
      () => statusOf('HOSTILE'),
      (s) => !!s && s.status === 'sent',
      60_000,
    );
    const post = slack.posted.find((m) => m.text.includes('Luxe'));
    expect(post?.blocks).toEqual([
      {
        type: 'section',
        text: { type: 'plain_text', text: '📦 <!channel> *Luxe* : 25 unités vendues', emoji: true },
      },
    ]);
    expect(post?.text).toBe('📦 &lt;!channel&gt; *Luxe* : 25 unités vendues');
    expect(post?.mrkdwn).toBe('false');
    await stopWorker(right);
  });

  it('runs dry without SLACK_BOT_TOKEN: the milestone is logged and marked sent_dry', async () => {
    await addPending('DRYRUN');
    const before = slack.posted.length;
    const dry = startWorker(['notify'], env({ LOG_LEVEL: 'info' }));
    workers.push(dry);
    await eventually(
      () => statusOf('DRYRUN'),
      (s) => !!s && s.status === 'sent_dry',
      60_000,
    );
    expect(slack.posted.length).toBe(before);
    expect(dry.output()).toContain('dry run: milestone not posted');
  });

  it('exits with an error when the change stream fails, instead of hanging on the sender lock', async () => {
    // A broker that is not there: the Kafka side fails while the send loop holds its lock connection.
    // The notifier must give that connection back, end its pool and exit 1, so a supervisor restarts it.
    await Promise.all(workers.map((w) => stopWorker(w)));
    const orphan = startWorker(
      ['notify'],
      env({ KAFKA_BROKERS: '127.0.0.1:9', LOG_LEVEL: 'info', CDC_TOPIC_PREFIX: 'nowhere' }),
    );
    workers.push(orphan);
    const timeout = new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), 170_000));
    const code = await Promise.race([orphan.exited, timeout]);
    expect(code, orphan.output()).toBe(1);
    expect(orphan.output()).toContain('holding the sender lock');
    expect(orphan.output()).toMatch(/the change stream failed; stopping the notifier/);
  }, 200_000);
});
