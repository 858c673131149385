import { EntitleError, networkProblem, type Problem } from './errors.js';
import type { ListQuery, Page } from './types.js';

export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

/** Retry policy for network errors and 5xx answers; 4xx answers are never retried. */
export interface RetryOptions {
  /** Retries after the first attempt; default 3. */
  retries?: number;
  /** First delay; doubled on each retry (default 100 ms). */
  baseDelayMs?: number;
  /** Cap on one delay (default 5000 ms). */
  maxDelayMs?: number;
}

export interface TransportOptions {
  url: string;
  token?: string;
  fetch?: FetchLike;
  retries?: number | RetryOptions;
  /** Waits between retries; injectable so tests need not sleep. */
  sleep?: (ms: number) => Promise<void>;
  /** 0 ≤ random() < 1, for the jitter; injectable for tests. */
  random?: () => number;
  userAgent?: string;
}

export interface RequestSpec {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  headers?: Record<string, string>;
  /** Safe to send again: GET, PUT, DELETE, and POSTs that are idempotent by design. */
  retry?: boolean;
}

export interface Answer<T> {
  status: number;
  headers: Headers;
  body: T;
}

const defaultSleep = (ms: number) =>
  new Promise<void>((resolve) => {
    setTimeout(resolve, ms);
  });

/**
 * The delay before retry `attempt` (0-based): exponential, capped, with "equal jitter" (half
 * fixed, half random) so that many clients failing together do not retry in lockstep.
 */
export function backoffDelay(
  attempt: number,
  policy: Required<RetryOptions>,
  random: () => number,
): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt);
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

export class Transport {
  readonly baseUrl: string;
  readonly policy: Required<RetryOptions>;
  private readonly token: string | undefined;
  private readonly fetch: FetchLike;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;
  private readonly userAgent: string;

  constructor(options: TransportOptions) {
    this.baseUrl = options.url.replace(/\/+$/, '');
    this.token = options.token;
    this.fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    const retries =
      typeof options.retries === 'number' ? { retries: options.retries } : options.retries;
    this.policy = { retries: 3, baseDelayMs: 100, maxDelayMs: 5000, ...retries };
    this.sleep = options.sleep ?? defaultSleep;
    this.random = options.random ?? Math.random;
    this.userAgent = options.userAgent ?? 'entitle-sdk/0.1.0';
  }

  /** Sends one request, retrying network errors and 5xx when `retry` is set; throws on non-2xx. */
  async request<T>(spec: RequestSpec): Promise<Answer<T>> {
    const url = this.baseUrl + spec.path + queryString(spec.query);
    const headers: Record<string, string> = {
      accept: 'application/json, application/problem+json',
      'user-agent': this.userAgent,
      ...spec.headers,
    };
    if (this.token !== undefined) headers.authorization = `Bearer ${this.token}`;
    let body: string | undefined;
    if (spec.body !== undefined) {
      headers['content-type'] ??= 'application/json';
      body = JSON.stringify(spec.body);
    }
    const attempts = spec.retry === true ? this.policy.retries + 1 : 1;
    for (let attempt = 0; ; attempt++) {
      let response: Response;
      try {
        response = await this.fetch(url, { method: spec.method, headers, body });
      } catch (error) {
        if (attempt + 1 < attempts) {
          await this.sleep(backoffDelay(attempt, this.policy, this.random));
          continue;
        }
        throw new EntitleError(networkProblem(error), { cause: error });
      }
      if (response.status >= 500 && attempt + 1 < attempts) {
        await response.body?.cancel();
        await this.sleep(backoffDelay(attempt, this.policy, this.random));
        continue;
      }
      const text = await response.text();
      if (!response.ok) throw new EntitleError(withRetryAfter(problemOf(response, text), response));
      const parsed: unknown = text === '' ? undefined : JSON.parse(text);
      return { status: response.status, headers: response.headers, body: parsed as T };
    }
  }

  async json<T>(spec: RequestSpec): Promise<T> {
    return (await this.request<T>(spec)).body;
  }

  /** Every item of a collection, page after page, following `metadata.continue`. */
  async *paginate<T>(path: string, query: ListQuery = {}): AsyncGenerator<T, void, undefined> {
    let next: string | undefined = query.continue;
    do {
      const page: Page<T> = await this.json<Page<T>>({
        method: 'GET',
        path,
        query: listParams({ ...query, continue: next }),
        retry: true,
      });
      yield* page.items;
      next = page.metadata.continue;
    } while (next !== undefined);
  }

  /** One page of a collection. */
  page<T>(path: string, query: ListQuery = {}): Promise<Page<T>> {
    return this.json<Page<T>>({ method: 'GET', path, query: listParams(query), retry: true });
  }
}

function listParams(query: ListQuery): Record<string, string | number | boolean | undefined> {
  return {
    filter: query.filter,
    orderBy: query.orderBy,
    limit: query.limit,
    skip: query.skip,
    count: query.count,
    include: query.include?.join(','),
    continue: query.continue,
  };
}

function queryString(query: RequestSpec['query']): string {
  if (query === undefined) return '';
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (value !== undefined) params.set(name, String(value));
  }
  const text = params.toString();
  return text === '' ? '' : `?${text}`;
}

function problemOf(response: Response, text: string): Problem {
  try {
    const parsed = JSON.parse(text) as Partial<Problem>;
    if (typeof parsed.title === 'string') {
      return {
        ...parsed,
        type: parsed.type ?? 'about:blank',
        title: parsed.title,
        status: response.status,
        detail: typeof parsed.detail === 'string' ? parsed.detail : '',
      };
    }
  } catch {
    // Not JSON: a proxy or load balancer answered; describe it from the status line.
  }
  return {
    type: 'about:blank',
    title: response.statusText === '' ? `HTTP ${String(response.status)}` : response.statusText,
    status: response.status,
    detail: text.slice(0, 200),
  };
}

/** A 429 or 503 says when to come back: `Retry-After` in seconds (dates are not used by Entitle). */
function withRetryAfter(problem: Problem, response: Response): Problem {
  const header = response.headers.get('retry-after');
  const seconds = header === null ? Number.NaN : Number(header);
  return Number.isFinite(seconds) && seconds >= 0
    ? { ...problem, retryAfterSeconds: seconds }
    : problem;
}

/** Path segment, percent-encoded. */
export function seg(value: string | number): string {
  return encodeURIComponent(String(value));
}
