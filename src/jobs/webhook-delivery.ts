import { performance } from 'node:perf_hooks';
import { DEFAULT_RETRY_POLICY, webhookHeaders, type RetryPolicy } from '../domain/webhook.js';
import type { ServiceContext } from '../services/context.js';
import type { Services } from '../services/index.js';
import type { AttemptOutcome, Settled } from '../services/webhooks.js';
import type { DueDelivery } from '../store/webhooks.repository.js';
import type { JobDefinition } from './scheduler.js';

export interface WebhookDeliveryOptions {
  /** Requests in flight to one endpoint at once (default 4). */
  concurrencyPerEndpoint?: number;
  /** How long a receiver has to answer, body included (default 10 s). */
  timeoutMs?: number;
  /** Deliveries sent per pass at most (default 100); the rest wait for the next pass. */
  batchSize?: number;
  /** Backoff and the attempts of a series (see DEFAULT_RETRY_POLICY). */
  retry?: Partial<RetryPolicy>;
  /** Deliveries in a row that end failed before an endpoint is disabled (default 5). */
  disableAfter?: number;
  /** Jitter source in [0, 1) (default Math.random). */
  random?: () => number;
}

/** The answer's first kilobyte is kept in the attempt log. */
const RESPONSE_PREFIX_BYTES = 1024;

/**
 * Sends the due webhook deliveries: every pass reads the pending deliveries whose next attempt is
 * due, posts each (signed) to its endpoint, a few at a time per endpoint, and records where each
 * attempt leaves it. Deliveries are rows written with their events, so a crash loses nothing: the
 * next pass (of this process or another) sends what is still pending.
 */
export function webhookDeliveryJob(
  services: Services,
  options: WebhookDeliveryOptions = {},
): JobDefinition {
  const concurrency = Math.max(1, options.concurrencyPerEndpoint ?? 4);
  const timeoutMs = options.timeoutMs ?? 10_000;
  const batchSize = options.batchSize ?? 100;
  const retry: RetryPolicy = { ...DEFAULT_RETRY_POLICY, ...options.retry };
  const disableAfter = options.disableAfter ?? 5;
  const random = options.random ?? Math.random;

  const attempt = async (ctx: ServiceContext, delivery: DueDelivery): Promise<Settled> => {
    const outcome = await send(delivery, ctx.clock.now(), timeoutMs);
    return services.webhooks.settle(ctx, outcome, { retry, disableAfter, random: random() });
  };

  return {
    name: 'webhooks.deliver',
    everyMs: 1000,
    run: async (ctx) => {
      const due = await services.webhooks.due(ctx, batchSize);
      const byEndpoint = new Map<string, DueDelivery[]>();
      for (const delivery of due) {
        const list = byEndpoint.get(delivery.endpointId) ?? [];
        list.push(delivery);
        byEndpoint.set(delivery.endpointId, list);
      }
      const counts: Record<Settled, number> = { delivered: 0, retrying: 0, failed: 0, stale: 0 };
      const errors: unknown[] = [];
      await Promise.all(
        [...byEndpoint.values()].map((deliveries) =>
          inPool(deliveries, concurrency, async (delivery) => {
            try {
              counts[await attempt(ctx, delivery)]++;
            } catch (error) {
              errors.push(error);
            }
          }),
        ),
      );
      // A database failure fails the pass (logged by the scheduler); what was settled stays.
      if (errors.length > 0) throw errors[0];
      return { sent: due.length, ...counts };
    },
  };
}

/** Runs `work` over `items`, at most `limit` at a time. */
async function inPool<T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const runner = async (): Promise<void> => {
    for (let item = items[next++]; item !== undefined; item = items[next++]) await work(item);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, runner));
}

/** One signed POST; never throws: a failure to get an answer is described in `error`. */
async function send(delivery: DueDelivery, at: Date, timeoutMs: number): Promise<AttemptOutcome> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  try {
    const response = await fetch(delivery.url, {
      method: 'POST',
      headers: webhookHeaders(delivery.secret, delivery.messageId, at, delivery.body),
      body: delivery.body,
      // A redirect is an answer, not a success: the receiver must be configured at its real URL.
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });
    const responseBody = await readPrefix(response, RESPONSE_PREFIX_BYTES);
    return {
      delivery,
      at,
      statusCode: response.status,
      error: null,
      durationMs: elapsed(),
      responseBody,
    };
  } catch (error) {
    return {
      delivery,
      at,
      statusCode: null,
      error: describe(error, timeoutMs),
      durationMs: elapsed(),
      responseBody: null,
    };
  }
}

/** Up to `max` bytes of the body, then the rest is abandoned (a receiver may answer at length). */
async function readPrefix(response: Response, max: number): Promise<string | null> {
  if (response.body === null) return null;
  // Node's fetch types the body as a stream of `any`; it carries bytes.
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < max) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
    }
  } catch {
    // The status already arrived; a body cut short (timeout, reset) is kept as far as it came.
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  return Buffer.concat(chunks).subarray(0, max).toString('utf8');
}

function describe(error: unknown, timeoutMs: number): string {
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) {
    return `no answer within ${String(timeoutMs)} ms`;
  }
  if (error instanceof Error) {
    const cause = error.cause as { code?: unknown; message?: unknown } | undefined;
    const detail =
      typeof cause?.code === 'string'
        ? cause.code
        : typeof cause?.message === 'string'
          ? cause.message
          : undefined;
    return detail === undefined ? error.message : `${error.message}: ${detail}`;
  }
  return String(error);
}
