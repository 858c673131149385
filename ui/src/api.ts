/** The native API v1, called with the signed-in user's bearer token, and its problem documents. */

const TOKEN_KEY = 'entitle.token';

export interface FieldIssue {
  name: string;
  reason: string;
}

/** An RFC 9457 problem as the server writes it (docs/api.md#errors). */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  correlationID?: string;
  invalidFields?: FieldIssue[];
  invalidParams?: FieldIssue[];
}

export class ApiError extends Error {
  readonly problem: Problem;
  constructor(problem: Problem) {
    super(`${problem.title}: ${problem.detail}`);
    this.name = 'ApiError';
    this.problem = problem;
  }
  get status(): number {
    return this.problem.status;
  }
  /** The reasons given for one body field (dotted path) and its parts, if the server named it. */
  fieldReason(name: string): string | undefined {
    const reasons = (this.problem.invalidFields ?? [])
      .filter((f) => f.name === name || f.name.startsWith(`${name}.`))
      .map((f) => (f.name === name ? f.reason : `${f.name.slice(name.length + 1)}: ${f.reason}`));
    return reasons.length === 0 ? undefined : [...new Set(reasons)].join('; ');
  }
}

export function getToken(): string | null {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function setToken(token: string): void {
  sessionStorage.setItem(TOKEN_KEY, token);
}

export function clearToken(): void {
  sessionStorage.removeItem(TOKEN_KEY);
}

/** The claims of a JWT, read without verifying (the server verifies; this only labels the UI). */
export interface Claims {
  sub?: string;
  role?: string;
  accounts?: '*' | string[];
  exp?: number;
}

export function claimsOf(token: string): Claims | null {
  const part = token.split('.')[1];
  if (part === undefined) return null;
  try {
    const json = atob(part.replace(/-/g, '+').replace(/_/g, '/'));
    const parsed: unknown = JSON.parse(json);
    // A JWT payload is a JSON object; the fields read from it are all optional.
    if (typeof parsed !== 'object' || parsed === null) return null;
    const claims: Claims = parsed;
    return claims;
  } catch {
    return null;
  }
}

function isProblem(value: unknown): value is Problem {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { title?: unknown }).title === 'string' &&
    typeof (value as { status?: unknown }).status === 'number'
  );
}

/** Listeners told when the server rejects the token (401), so the app can ask for a new one. */
const unauthorizedListeners = new Set<() => void>();
export function onUnauthorized(listener: () => void): () => void {
  unauthorizedListeners.add(listener);
  return () => unauthorizedListeners.delete(listener);
}

export type Query = Record<string, string | number | boolean | undefined | null>;

export function queryString(query: Query | undefined): string {
  if (query === undefined) return '';
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== '') params.set(key, String(value));
  }
  const text = params.toString();
  return text === '' ? '' : `?${text}`;
}

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  query?: Query;
  body?: unknown;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

export interface ApiResponse<T> {
  data: T;
  headers: Headers;
}

/** One call to `/v1/...`; a non-2xx answer throws an `ApiError` carrying the problem document. */
export async function request<T>(
  path: string,
  options: RequestOptions = {},
): Promise<ApiResponse<T>> {
  const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
  const token = getToken();
  if (token !== null) headers.authorization = `Bearer ${token}`;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  let response: Response;
  try {
    response = await fetch(`${path}${queryString(options.query)}`, {
      method: options.method ?? 'GET',
      headers,
      body: options.body === undefined ? null : JSON.stringify(options.body),
      signal: options.signal ?? null,
    });
  } catch (error) {
    if (error instanceof DOMException && error.name === 'AbortError') throw error;
    throw new ApiError({
      type: 'about:blank',
      title: 'Network error',
      status: 0,
      detail: 'The server could not be reached. Check the connection and retry.',
    });
  }
  const text = await response.text();
  let body: unknown = null;
  if (text !== '') {
    try {
      body = JSON.parse(text);
    } catch {
      body = text;
    }
  }
  if (!response.ok) {
    const problem: Problem = isProblem(body)
      ? body
      : {
          type: 'about:blank',
          title: response.statusText || 'Error',
          status: response.status,
          detail: typeof body === 'string' ? body.slice(0, 300) : `HTTP ${String(response.status)}`,
        };
    if (response.status === 401) for (const listener of unauthorizedListeners) listener();
    throw new ApiError(problem);
  }
  return { data: body as T, headers: response.headers };
}

export async function get<T>(path: string, query?: Query, signal?: AbortSignal): Promise<T> {
  return (await request<T>(path, { query, ...(signal ? { signal } : {}) })).data;
}

/** A collection page: `{items, metadata: {continue?, count?}}`. */
export interface Page<T> {
  items: T[];
  metadata: { continue?: string; count?: number };
}

/** Quotes a string for the query language: `'O''Brien'`. */
export function quote(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/** Every page of a collection (for small collections: accounts, products). */
export async function getAll<T>(path: string, query: Query = {}, max = 5000): Promise<T[]> {
  const items: T[] = [];
  let next: string | undefined;
  do {
    const page = await get<Page<T>>(path, { ...query, limit: 1000, continue: next });
    items.push(...page.items);
    next = page.metadata.continue;
  } while (next !== undefined && items.length < max);
  return items;
}
