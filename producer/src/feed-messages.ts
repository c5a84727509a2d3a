import type { Message } from 'kafkajs';
import { LINE_SEEN_AT_HEADER, type DeadLetter } from '@sales-pipeline/platform';
import type { FeedOutput } from './feed-parser.ts';
import type { TopicMessages } from './kafka-publisher.ts';

/** The topics a feed publishes to: its rows by kind, and the dead letters. */
export interface FeedTopics {
  sales: string;
  products: string;
  stores: string;
  deadLetter: string;
}

/**
 * The Kafka messages of a step's outputs, by topic: each row to its kind's topic with the time its line
 * was seen, each dead letter to the dead-letter topic keyed by feed, generation and line. Headers
 * become no message.
 */
export function feedMessages(
  outputs: FeedOutput[],
  seenAt: number,
  topics: FeedTopics,
  generation: number,
): TopicMessages {
  const messages: TopicMessages = new Map();
  const add = (topic: string, message: Message) => {
    const list = messages.get(topic);
    if (list) list.push(message);
    else messages.set(topic, [message]);
  };
  for (const output of outputs) {
    if (output.type === 'dead') {
      const { letter } = output;
      add(topics.deadLetter, {
        key: `${letter.feed}/${generation}/${letter.line ?? 0}`,
        value: JSON.stringify(letter),
      });
    } else if (output.type === 'row') {
      add(topics[output.row.kind], {
        key: output.row.key,
        value: JSON.stringify(output.row.value),
        headers: { [LINE_SEEN_AT_HEADER]: String(seenAt) },
      });
    }
  }
  return messages;
}

/**
 * The dead letter that reports a source rewriting rows it had already served (`publishedBytes` of it
 * were published), keyed by the rewritten version's sha256 so that it is reported once.
 */
export function rewriteMessage(
  feed: string,
  body: Buffer,
  publishedBytes: number,
  version: string,
  detectedAt: Date,
): Message {
  const letter: DeadLetter = {
    stage: 'producer',
    feed,
    line: null,
    raw: body.subarray(0, Math.min(body.length, 4096)).toString('utf8'),
    raw_base64: null,
    reason: `source rewrote rows already published (the first ${publishedBytes} bytes changed); version sha256 ${version}`,
    detected_at: detectedAt.toISOString(),
  };
  return { key: `${feed}/rewrite/${version.slice(0, 16)}`, value: JSON.stringify(letter) };
}
