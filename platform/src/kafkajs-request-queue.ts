import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** The part of kafkajs's RequestQueue (src/network/requestQueue/index.js) the fix below touches. */
export interface RequestQueueState {
  throttledUntil: number;
  throttleCheckTimeoutId: ReturnType<typeof setTimeout> | null;
  pending: unknown[];
  checkPendingRequests(): void;
}

/** kafkajs's own pause before it checks a queue whose requests could not go out yet. */
const CHECK_PENDING_REQUESTS_INTERVAL_MS = 10;

/** The kafkajs release whose RequestQueue this replaces a method of (the last one, 2.2.4). */
const FIXED_VERSION = '2.2.4';

/**
 * kafkajs 2.2.4's `scheduleCheckPendingRequests`, without its idle loop: with nothing pending and no
 * throttle, it still arms a timer of `throttledUntil - now` ms — negative, so 1 ms (and, on Node 24, a
 * TimeoutNegativeWarning) — whose callback arms the next one. Every open broker connection of every
 * process thus woke its event loop about a thousand times a second, for nothing (tulios/kafkajs#1556,
 * #1704, #1751; fix proposed in #1667, never released). Here a queue with nothing pending only arms a
 * timer while throttled; a request that cannot go out at once is pending, and arms it as before.
 */
function scheduleCheckPendingRequests(this: RequestQueueState): void {
  if (this.throttleCheckTimeoutId) return;
  let delayMs = this.throttledUntil - Date.now();
  if (this.pending.length > 0) delayMs = delayMs > 0 ? delayMs : CHECK_PENDING_REQUESTS_INTERVAL_MS;
  else if (delayMs <= 0) return;
  this.throttleCheckTimeoutId = setTimeout(() => {
    this.throttleCheckTimeoutId = null;
    this.checkPendingRequests();
  }, delayMs);
}

/**
 * Installs the fix above into kafkajs's RequestQueue, once per process (every Kafka client of the process
 * shares the class). Returns false, changing nothing, for another kafkajs version than the one it fixes.
 */
export function fixKafkajsIdleLoop(): boolean {
  const { version } = require('kafkajs/package.json') as { version: string };
  if (version !== FIXED_VERSION) return false;
  const RequestQueue = require('kafkajs/src/network/requestQueue/index.js') as {
    prototype: { scheduleCheckPendingRequests: (this: RequestQueueState) => void };
  };
  RequestQueue.prototype.scheduleCheckPendingRequests = scheduleCheckPendingRequests;
  return true;
}
