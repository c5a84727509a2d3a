import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '@sales-pipeline/platform';
import { SlackSender, classifySlackError } from '../src/slack-sender.ts';
import { formatMilestone } from '../src/format-milestone.ts';
import { FakeSlack } from '../../test-support/fake-slack.ts';

const logger = createLogger('test', 'silent');
const message = formatMilestone(
  { rule: 'revenue_total', subject: 'total', step: '1000', payload: {} },
  {},
  'fr',
);
let slack: FakeSlack;
let url: string;

beforeEach(async () => {
  slack = new FakeSlack();
  url = await slack.start();
});
afterEach(() => slack.stop());

describe('SlackSender against a server speaking the Slack Web API', () => {
  it('posts Block Kit with a plain-text fallback, no markdown, and the milestone id as metadata', async () => {
    const sender = new SlackSender(slack.token, slack.channel, logger, url);
    const ts = await sender.post(message, '42');
    expect(slack.posted).toEqual([
      expect.objectContaining({
        ts,
        channel: slack.channel,
        text: message.text,
        blocks: message.blocks,
        mrkdwn: 'false',
        metadata: { event_type: 'sales_milestone', event_payload: { milestone_id: '42' } },
      }),
    ]);
    expect(slack.requests[0]?.authorization).toBe(`Bearer ${slack.token}`);
  });

  it('waits out a 429 for its Retry-After, then posts once', async () => {
    slack.queue({ status: 429, retryAfter: 1 });
    const sender = new SlackSender(slack.token, slack.channel, logger, url);
    await sender.post(message, '1');
    expect(slack.posted).toHaveLength(1);
    const [first, second] = slack.requests;
    expect((second?.at ?? 0) - (first?.at ?? 0)).toBeGreaterThanOrEqual(950);
  });

  it('retries a 500: two requests, one message', async () => {
    slack.queue({ status: 500 });
    const sender = new SlackSender(slack.token, slack.channel, logger, url);
    await sender.post(message, '1');
    expect(slack.postRequests()).toBe(2);
    expect(slack.posted).toHaveLength(1);
  });

  it('reports invalid_auth and channel_not_found as configuration errors with what to do', async () => {
    const badToken = new SlackSender('xoxb-wrong', slack.channel, logger, url);
    const error = await badToken.post(message, '1').catch((e: unknown) => e);
    expect(classifySlackError(error)).toMatchObject({
      kind: 'configuration',
      error: 'invalid_auth',
      hint: expect.stringMatching(/SLACK_BOT_TOKEN/),
    });
    const badChannel = new SlackSender(slack.token, 'C-nope', logger, url);
    const other = await badChannel.post(message, '1').catch((e: unknown) => e);
    expect(classifySlackError(other)).toMatchObject({ kind: 'configuration', error: 'channel_not_found' });
    expect(JSON.stringify(classifySlackError(error))).not.toContain('xoxb-wrong');
  });

  it('finds a milestone already posted (by its metadata) after a crash', async () => {
    const sender = new SlackSender(slack.token, slack.channel, logger, url);
    const ts = await sender.post(message, '7');
    expect(await sender.findPosted('7', new Date())).toBe(ts);
    expect(await sender.findPosted('8', new Date())).toBeUndefined();
  });
});
