import { randomUUID } from 'node:crypto';
import type { Transport } from './http.js';
import type { UsageIngestResult, UsageRecord } from './types.js';

/** A usage record as the caller gives it: `id` and `at` are filled in when absent. */
export type UsageInput = Omit<UsageRecord, 'id' | 'at'> & { id?: string; at?: string | Date };

export interface UsageReporterOptions {
  /** Records per request and the queue length that triggers a flush; 1 to 10,000, default 1000. */
  batchSize?: number;
  /** Flush every so often (ms); 0 disables; default 10,000. The timer never keeps Node alive. */
  flushIntervalMs?: number;
  /** Flush what is queued when the process is about to exit (`beforeExit`); default true. */
  flushOnExit?: boolean;
  /** Called with a flush failure that nobody awaited (size, interval and exit flushes). */
  onError?: (error: unknown) => void;
}

/**
 * Queues usage records and sends them in batches. Each record gets its idempotency id once, when
 * queued; a failed batch goes back to the head of the queue with the same ids, so sending it
 * again (a retry, or the next flush) is counted by the server as duplicates, never twice.
 */
export class UsageReporter {
  private queue: UsageRecord[] = [];
  private running: Promise<UsageIngestResult> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private readonly batchSize: number;
  private readonly exitHook = () => {
    if (this.queue.length > 0) this.background();
  };
  private hooked = false;
  readonly totals: UsageIngestResult = { accepted: 0, duplicates: 0, rejected: [] };

  constructor(
    private readonly transport: Transport,
    private readonly now: () => number,
    private readonly options: UsageReporterOptions = {},
  ) {
    this.batchSize = Math.min(10_000, Math.max(1, options.batchSize ?? 1000));
  }

  get pending(): number {
    return this.queue.length;
  }

  /** Queues records; returns their ids. Flushes in the background once a batch is full. */
  add(records: readonly UsageInput[]): string[] {
    const ids: string[] = [];
    for (const record of records) {
      const id = record.id ?? randomUUID();
      const at = record.at ?? new Date(this.now());
      this.queue.push({ ...record, id, at: at instanceof Date ? at.toISOString() : at });
      ids.push(id);
    }
    this.arm();
    if (this.queue.length >= this.batchSize) this.background();
    return ids;
  }

  /** Sends everything queued; resolves with what this flush did. */
  flush(): Promise<UsageIngestResult> {
    const previous = this.running ?? Promise.resolve(undefined);
    const next = previous
      .catch(() => undefined)
      .then(() => this.drain())
      .finally(() => {
        if (this.running === next) this.running = null;
      });
    this.running = next;
    return next;
  }

  /** Stops the timer and the exit hook, then flushes. */
  async close(): Promise<UsageIngestResult> {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    if (this.hooked) process.removeListener('beforeExit', this.exitHook);
    this.hooked = false;
    return this.flush();
  }

  private async drain(): Promise<UsageIngestResult> {
    const result: UsageIngestResult = { accepted: 0, duplicates: 0, rejected: [] };
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, this.batchSize);
      let answer: UsageIngestResult;
      try {
        answer = await this.transport.json<UsageIngestResult>({
          method: 'POST',
          path: '/v1/usage',
          body: { records: batch },
          // Safe to repeat: the record ids make the server count a repeat as duplicates.
          retry: true,
        });
      } catch (error) {
        this.queue.unshift(...batch);
        throw error;
      }
      result.accepted += answer.accepted;
      result.duplicates += answer.duplicates;
      result.rejected.push(...answer.rejected);
    }
    this.totals.accepted += result.accepted;
    this.totals.duplicates += result.duplicates;
    this.totals.rejected.push(...result.rejected);
    return result;
  }

  private background(): void {
    this.flush().catch((error: unknown) => {
      this.options.onError?.(error);
    });
  }

  private arm(): void {
    const interval = this.options.flushIntervalMs ?? 10_000;
    if (this.timer === null && interval > 0) {
      this.timer = setInterval(() => {
        if (this.queue.length > 0) this.background();
      }, interval);
      this.timer.unref();
    }
    if (!this.hooked && this.options.flushOnExit !== false) {
      process.on('beforeExit', this.exitHook);
      this.hooked = true;
    }
  }
}
