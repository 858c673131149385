import type { FastifyRequest } from 'fastify';
import { redactKey } from '../domain/license-key.js';

/**
 * Paths pino removes from every log line: credentials in headers (`Authorization`, HP's
 * `X-Auth-Token`) and password or token fields of any object logged one or two levels deep.
 * Bodies are never logged; this is the net under that rule.
 */
export const LOG_REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers["x-auth-token"]',
  'headers.authorization',
  'headers["x-auth-token"]',
  'password',
  'token',
  '*.password',
  '*.token',
  '*.access_token',
  '*.assertion',
  '*.*.password',
  '*.*.token',
];

/** Query parameters that carry a secret: license keys, and credentials some clients put there. */
const SECRET_PARAMS = new Set(['key', 'password', 'token', 'access_token', 'assertion', 'code']);

/**
 * How a request appears in the log: license keys in the query string (`?key=…`, HP's
 * `/licenses?key=`) and any credential parameter are masked, because each is a bearer secret.
 * Headers and bodies are never logged.
 */
export function requestForLog(request: FastifyRequest): Record<string, unknown> {
  return {
    method: request.method,
    url: maskKeys(request.url),
    remoteAddress: request.ip,
  };
}

export function maskKeys(url: string): string {
  const query = url.indexOf('?');
  if (query < 0) return url;
  const params = new URLSearchParams(url.slice(query + 1));
  if (![...params.keys()].some((name) => SECRET_PARAMS.has(name))) return url;
  const masked = new URLSearchParams();
  for (const [name, value] of params)
    masked.append(name, name === 'key' ? redactKey(value) : SECRET_PARAMS.has(name) ? '…' : value);
  return `${url.slice(0, query)}?${masked.toString()}`;
}
