import { ErrorCode, LogLevel, WebClient, type Logger as SlackLogger } from '@slack/web-api';
import type { Logger } from '@sales-pipeline/platform';
import type { SlackMessage } from './format-milestone.ts';

/** What a Slack failure means for the milestone being sent. */
export type SlackFailure =
  | { kind: 'configuration'; error: string; hint: string }
  | { kind: 'transient'; error: string }
  | { kind: 'rejected'; error: string };

const CONFIGURATION_ERRORS: Record<string, string> = {
  invalid_auth: 'SLACK_BOT_TOKEN is not a valid token: create a bot token (xoxb-…) and set it.',
  not_authed: 'No token reached Slack: set SLACK_BOT_TOKEN.',
  token_revoked: 'SLACK_BOT_TOKEN was revoked: install the app again and set the new token.',
  account_inactive: 'The token belongs to a deactivated account or app.',
  channel_not_found: 'SLACK_CHANNEL names no channel the bot can see: check the id or name.',
  not_in_channel: 'The bot is not in SLACK_CHANNEL: invite it (/invite @your-bot) or use chat:write.public.',
  is_archived: 'SLACK_CHANNEL is archived.',
  missing_scope: 'The token lacks a scope: add chat:write and channels:history, then reinstall.',
};

/** Maps an @slack/web-api error to what to do. Only codes and Slack's error names are kept, never the request. */
export function classifySlackError(error: unknown): SlackFailure {
  const e = error as { code?: string; data?: { error?: string }; statusCode?: number; message?: string };
  if (e.code === ErrorCode.PlatformError) {
    const name = e.data?.error ?? 'unknown_error';
    const hint = CONFIGURATION_ERRORS[name];
    if (hint) return { kind: 'configuration', error: name, hint };
    if (
      ['ratelimited', 'internal_error', 'fatal_error', 'service_unavailable', 'request_timeout'].includes(
        name,
      )
    ) {
      return { kind: 'transient', error: name };
    }
    return { kind: 'rejected', error: name };
  }
  if (e.code === ErrorCode.HTTPError) return { kind: 'transient', error: `http_${e.statusCode ?? 'error'}` };
  if (e.code === ErrorCode.RateLimitedError) return { kind: 'transient', error: 'rate_limited' };
  return { kind: 'transient', error: e.code ?? 'network_error' };
}

/** Routes the SDK's own log lines into ours, at warn and above. */
function slackLogger(logger: Logger): SlackLogger {
  const log = logger.child({ module: 'slack-sdk' });
  let level = LogLevel.WARN;
  return {
    debug: () => undefined,
    info: () => undefined,
    warn: (...args: unknown[]) => log.warn(args.map(String).join(' ')),
    error: (...args: unknown[]) => log.error(args.map(String).join(' ')),
    setLevel: (l: LogLevel) => {
      level = l;
    },
    getLevel: () => level,
    setName: () => undefined,
  };
}

/**
 * Posts milestones to one channel with @slack/web-api. The SDK waits out 429s for their Retry-After and
 * retries 5xx and network errors a few times; what still fails comes back classified.
 */
export class SlackSender {
  private readonly client: WebClient;

  constructor(
    token: string,
    private readonly channel: string,
    logger: Logger,
    apiUrl?: string,
  ) {
    this.client = new WebClient(token, {
      ...(apiUrl ? { slackApiUrl: apiUrl.endsWith('/') ? apiUrl : `${apiUrl}/` } : {}),
      logger: slackLogger(logger),
      retryConfig: { retries: 3, factor: 2, minTimeout: 500, maxTimeout: 5_000 },
      rejectRateLimitedCalls: false,
      timeout: 15_000,
    });
  }

  /**
   * Posts; returns the message's ts. The (first) milestone id rides along as message metadata, with the
   * number of milestones a digest carries.
   */
  async post(message: SlackMessage, milestoneId: string, milestoneCount = 1): Promise<string> {
    const result = await this.client.chat.postMessage({
      channel: this.channel,
      text: message.text,
      blocks: message.blocks,
      mrkdwn: false,
      parse: 'none',
      link_names: false,
      unfurl_links: false,
      unfurl_media: false,
      metadata: {
        event_type: 'sales_milestone',
        event_payload:
          milestoneCount > 1
            ? { milestone_id: milestoneId, milestone_count: milestoneCount }
            : { milestone_id: milestoneId },
      },
    });
    return String(result.ts);
  }

  /**
   * After a crash between posting and recording it: finds the message of this milestone in the channel's
   * recent history (by its metadata), so that it is not posted twice.
   */
  async findPosted(milestoneId: string, since: Date): Promise<string | undefined> {
    const result = await this.client.conversations.history({
      channel: this.channel,
      oldest: String(Math.floor(since.getTime() / 1000) - 60),
      include_all_metadata: true,
      limit: 200,
    });
    const found = (result.messages ?? []).find(
      (m) =>
        (m.metadata?.event_payload as { milestone_id?: string } | undefined)?.milestone_id === milestoneId,
    );
    return found?.ts;
  }
}
