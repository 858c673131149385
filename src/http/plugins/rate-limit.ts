import { createHash } from 'node:crypto';
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';

/** The API-wide limit: requests per window per token (or per address without one). */
export interface ApiRateLimit {
  max: number;
  windowMs: number;
}

/** Probes and scrapes are never limited: an orchestrator must always reach them. */
const UNLIMITED_PATHS = new Set(['/healthz', '/readyz', '/metrics']);

/**
 * Who a request counts against: its credentials (bearer, HP's X-Auth-Token, Basic), hashed so no
 * secret is kept as a map key; the client address when it has none.
 */
function caller(request: FastifyRequest): string {
  const credentials = request.headers.authorization ?? request.headers['x-auth-token'];
  const value = Array.isArray(credentials) ? credentials[0] : credentials;
  if (value === undefined || value === '') return `ip:${request.ip}`;
  return `token:${createHash('sha256').update(value).digest('base64url').slice(0, 22)}`;
}

/** Too many requests for one caller: a 429 every surface answers in its own error format. */
class TooManyRequests extends Error {
  readonly statusCode = 429;
  readonly code = 'FST_ERR_RATE_LIMIT';

  constructor(retryAfter: string) {
    super(`Too many requests from this token or address; retry in ${retryAfter}.`);
    this.name = 'TooManyRequests';
  }
}

/**
 * A per-token (or per-address) limit over the whole API, in this process's memory: a flood from
 * one client cannot starve the others. Per-license limits, shared across processes, are the
 * policies' (services/license-terms.ts).
 */
export async function registerApiRateLimit(app: FastifyInstance, limit: ApiRateLimit) {
  await app.register(rateLimit, {
    global: true,
    max: limit.max,
    timeWindow: limit.windowMs,
    keyGenerator: caller,
    allowList: (request) => UNLIMITED_PATHS.has(request.url.split('?')[0] ?? ''),
    errorResponseBuilder: (_request, context) => new TooManyRequests(context.after),
  });
}
