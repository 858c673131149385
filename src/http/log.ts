import type { FastifyRequest } from 'fastify';
import { redactKey } from '../domain/license-key.js';

/**
 * How a request appears in the log: license keys in the query string (`?key=…`, HP's
 * `/licenses?key=`) are masked, because a key is a bearer secret. Bodies are never logged.
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
  if (!params.has('key')) return url;
  const masked = new URLSearchParams();
  for (const [name, value] of params)
    masked.append(name, name === 'key' ? redactKey(value) : value);
  return `${url.slice(0, query)}?${masked.toString()}`;
}
