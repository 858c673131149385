import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * HP controller clients compare the Content-Type header as a string: JSON bodies are
 * `application/json` with no charset parameter, bare values (`installid`, `islicensed`,
 * `compliance`) `text/plain`.
 */
export const HP_JSON = 'application/json';
export const HP_TEXT = 'text/plain';

/** An `onSend` hook: whatever set a JSON type (the serializer adds `; charset=utf-8`), send HP's. */
export function exactContentType(
  _request: FastifyRequest,
  reply: FastifyReply,
  payload: unknown,
  done: (error: null, payload: unknown) => void,
): void {
  const type = reply.getHeader('content-type');
  if (typeof type === 'string') {
    const bare = type.split(';')[0]?.trim().toLowerCase();
    if (bare === HP_JSON || bare === HP_TEXT) void reply.header('content-type', bare);
  }
  done(null, payload);
}

/**
 * HP's JSON parser: HP clients send a bare license key or action with `Content-Type:
 * application/json`, so a body that is not JSON is the raw string itself; a JSON string is
 * unquoted and an object (`{"action": "deactivate"}`, a login) is parsed as usual.
 */
export function lenientJson(
  _request: FastifyRequest,
  body: string,
  parsed: (error: null, value: unknown) => void,
): void {
  const trimmed = body.trim();
  if (trimmed === '') {
    parsed(null, undefined);
    return;
  }
  let value: unknown;
  try {
    value = JSON.parse(trimmed);
  } catch {
    value = trimmed;
  }
  // A bare key or action that happens to read as a number or literal is still the raw string.
  parsed(
    null,
    typeof value === 'object' && value !== null
      ? value
      : typeof value === 'string'
        ? value
        : trimmed,
  );
}
