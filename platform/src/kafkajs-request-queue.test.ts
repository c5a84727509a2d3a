import { createRequire } from 'node:module';
import { afterEach, describe, expect, it } from 'vitest';
import { fixKafkajsIdleLoop, type RequestQueueState } from './kafkajs-request-queue.ts';

const require = createRequire(import.meta.url);

type Queue = RequestQueueState;
/** kafkajs's own RequestQueue class, as every broker connection makes it. */
const RequestQueue = require('kafkajs/src/network/requestQueue/index.js') as new (options: object) => Queue;
const quiet = { debug() {}, info() {}, warn() {}, error() {} };

function queue(): Queue {
  return new RequestQueue({
    maxInFlightRequests: null,
    requestTimeout: 30_000,
    enforceRequestTimeout: true,
    clientId: 'test',
    broker: 'localhost:9092',
    logger: { namespace: () => quiet },
  });
}

const made: Queue[] = [];
afterEach(() => {
  for (const q of made.splice(0)) if (q.throttleCheckTimeoutId) clearTimeout(q.throttleCheckTimeoutId);
});

describe('fixKafkajsIdleLoop', () => {
  it('applies to the kafkajs release in use', () => {
    expect(fixKafkajsIdleLoop()).toBe(true);
  });

  it('leaves an idle, unthrottled connection without a timer (kafkajs 2.2.4 re-armed one every 1 ms)', () => {
    fixKafkajsIdleLoop();
    const q = queue();
    made.push(q);
    q.checkPendingRequests(); // what kafkajs runs after every response
    expect(q.throttleCheckTimeoutId).toBeNull();
  });

  it('still checks a queue whose requests are pending, soon', async () => {
    fixKafkajsIdleLoop();
    const q = queue() as Queue & { scheduleCheckPendingRequests(): void };
    made.push(q);
    let checks = 0;
    q.checkPendingRequests = () => {
      checks += 1;
      q.pending = []; // the pending request went out
    };
    q.pending = [{}]; // a request that could not go out at once (in-flight limit)
    q.scheduleCheckPendingRequests();
    expect(q.throttleCheckTimeoutId).not.toBeNull();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(checks).toBe(1);
  });

  it('still checks a throttled queue when its throttle ends', () => {
    fixKafkajsIdleLoop();
    const q = queue();
    made.push(q);
    q.throttledUntil = Date.now() + 60_000;
    q.checkPendingRequests();
    expect(q.throttleCheckTimeoutId).not.toBeNull();
  });
});
