import { type Logger, type Pool, type PoolClient } from '@sales-pipeline/platform';
import { tryHoldSenderLock } from './milestone-store.ts';

/**
 * One sender at a time, holding a session lock on its own connection: if it dies, the lock goes with
 * its connection, and another notifier takes over at once.
 */
export class SenderLock {
  private lock: PoolClient | undefined;
  private lost = false;

  constructor(
    private readonly pool: Pool,
    private readonly log: Logger,
  ) {}

  /**
   * Whether this notifier holds the lock, taking it when it is free (again, after its connection
   * failed). False when another notifier holds it or it could not be asked: try again later.
   */
  async hold(): Promise<boolean> {
    if (this.lost) {
      this.release();
      this.lost = false;
    }
    if (this.lock) return true;
    try {
      const client = await this.pool.connect();
      client.on('error', () => {
        this.lost = true;
      });
      if (await tryHoldSenderLock(client)) {
        this.lock = client;
        this.log.info('holding the sender lock: this notifier posts the outbox');
        return true;
      }
      client.release(true);
    } catch (error) {
      this.log.warn({ err: error }, 'could not take the sender lock; trying again');
    }
    return false;
  }

  /** Lets the lock go with its connection. */
  release(): void {
    this.lock?.release(true);
    this.lock = undefined;
  }
}
