import pRetry, { AbortError } from 'p-retry';

/** What an upstream answered: any status below 500 is an answer (a 401 or 400 included). */
export interface UpstreamAnswer {
  status: number;
  body: unknown;
}

/** The upstream could not be reached, timed out, or failed with 5xx after every retry. */
export class UpstreamUnavailable extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'UpstreamUnavailable';
  }
}

export interface UpstreamClientOptions {
  /** Per attempt (default 5 s). */
  timeoutMs?: number;
  /** Retries after the first attempt, on network errors and 5xx (default 2). */
  retries?: number;
  /** First retry delay; each next one doubles, randomized (default 200 ms). */
  minRetryDelayMs?: number;
}

export interface UpstreamClient {
  call(
    method: 'GET' | 'POST',
    base: string,
    token: string,
    path: string,
    body?: unknown,
  ): Promise<UpstreamAnswer>;
}

/**
 * Calls another Entitle's native API with a bearer token: a timeout per attempt, retries with
 * backoff on network errors and 5xx (p-retry), 4xx answered at once. The circuit breaker is not
 * here: it is kept in the database so that every process sees it (see services/upstream.ts).
 */
export function upstreamClient(options: UpstreamClientOptions = {}): UpstreamClient {
  const timeoutMs = options.timeoutMs ?? 5000;
  return {
    async call(method, base, token, path, body) {
      const url = new URL(path, base.endsWith('/') ? base : `${base}/`).toString();
      const attempt = async (): Promise<UpstreamAnswer> => {
        let response: Response;
        try {
          response = await fetch(url, {
            method,
            headers: {
              authorization: `Bearer ${token}`,
              accept: 'application/json',
              ...(body === undefined ? {} : { 'content-type': 'application/json' }),
            },
            ...(body === undefined ? {} : { body: JSON.stringify(body) }),
            signal: AbortSignal.timeout(timeoutMs),
            redirect: 'error',
          });
        } catch (error) {
          throw new UpstreamUnavailable(`${method} ${url}: ${describe(error)}`, { cause: error });
        }
        const text = await response.text();
        if (response.status >= 500) {
          throw new UpstreamUnavailable(`${method} ${url}: HTTP ${String(response.status)}`);
        }
        try {
          return {
            status: response.status,
            body: text === '' ? null : (JSON.parse(text) as unknown),
          };
        } catch {
          throw new AbortError(new UpstreamUnavailable(`${method} ${url}: the answer is not JSON`));
        }
      };
      try {
        return await pRetry(attempt, {
          retries: options.retries ?? 2,
          minTimeout: options.minRetryDelayMs ?? 200,
          factor: 2,
          randomize: true,
        });
      } catch (error) {
        if (error instanceof UpstreamUnavailable) throw error;
        throw new UpstreamUnavailable(describe(error), { cause: error });
      }
    },
  };
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
    return `${error.message}${cause}`;
  }
  return String(error);
}
