import type { FastifyInstance, FastifyReply } from 'fastify';
import type { DomainErrorCode } from '../../../domain/errors.js';
import { facadeErrorHandler, facadeNotFoundHandler } from '../shared.js';
import type { BlackBerryError } from './schemas.js';

/** The error codes this facade answers with, by HTTP status. */
export type BlackBerryErrorCode =
  | 'BAD_REQUEST'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'METHOD_NOT_ALLOWED'
  | 'NOT_ACCEPTABLE'
  | 'CONFLICT'
  | 'TOO_MANY_REQUESTS'
  | 'INTERNAL_ERROR'
  | 'SERVICE_UNAVAILABLE';

interface Failure {
  status: number;
  code: BlackBerryErrorCode;
}

/**
 * Typed domain errors → BlackBerry status and code, in one table. The document specifies only
 * 200 ("even if connection to licensing infrastructure is not available"); every other status
 * is Entitle's choice, with the body `{status, code, message, requestId}` as application/json.
 */
export const BLACKBERRY_ERRORS: Record<DomainErrorCode, Failure> = {
  NOT_FOUND: { status: 404, code: 'NOT_FOUND' },
  FORBIDDEN: { status: 403, code: 'FORBIDDEN' },
  UNAUTHENTICATED: { status: 401, code: 'UNAUTHORIZED' },
  INVALID_FIELDS: { status: 400, code: 'BAD_REQUEST' },
  INVALID_PARAMS: { status: 400, code: 'BAD_REQUEST' },
  CONFLICT: { status: 409, code: 'CONFLICT' },
  IN_USE: { status: 409, code: 'CONFLICT' },
  SEAT_LIMIT: { status: 409, code: 'CONFLICT' },
  NOT_USABLE: { status: 409, code: 'CONFLICT' },
  RATE_LIMITED: { status: 429, code: 'TOO_MANY_REQUESTS' },
  UNAVAILABLE: { status: 503, code: 'SERVICE_UNAVAILABLE' },
};

export function sendBlackBerryError(
  reply: FastifyReply,
  failure: Failure,
  message: string,
): FastifyReply {
  const body: BlackBerryError = {
    status: failure.status,
    code: failure.code,
    message,
    requestId: reply.request.id,
  };
  return reply.code(failure.status).type('application/json; charset=utf-8').send(body);
}

/** The facade's error handler: every failure in the facade's format, nothing internal leaks. */
export const handleBlackBerryError = facadeErrorHandler({
  unauthenticated: (reply, error) =>
    sendBlackBerryError(
      reply.header(
        'www-authenticate',
        error.missing ? 'Bearer realm="entitle"' : 'Bearer realm="entitle", error="invalid_token"',
      ),
      BLACKBERRY_ERRORS.UNAUTHENTICATED,
      error.message,
    ),
  domain: (reply, error) =>
    sendBlackBerryError(reply, BLACKBERRY_ERRORS[error.code], error.message),
  invalid: (reply, issues, where) =>
    sendBlackBerryError(
      reply,
      { status: 400, code: 'BAD_REQUEST' },
      `Invalid ${where}: ${issues.map((i) => `${i.name} ${i.reason}`).join('; ')}.`,
    ),
  client: (reply, status, error) =>
    sendBlackBerryError(reply, { status, code: 'BAD_REQUEST' }, error.message),
  throttled: (reply, error) =>
    sendBlackBerryError(reply, { status: 429, code: 'TOO_MANY_REQUESTS' }, error.message),
  internal: (reply) =>
    sendBlackBerryError(
      reply,
      { status: 500, code: 'INTERNAL_ERROR' },
      'The server could not complete the request.',
    ),
});

/** Unknown paths under the facade's prefix: 405 with `Allow` for a known path, else 404. */
export function blackBerryNotFound(app: FastifyInstance) {
  return facadeNotFoundHandler(app, {
    methodNotAllowed: (reply, allowed, path) =>
      sendBlackBerryError(
        reply,
        { status: 405, code: 'METHOD_NOT_ALLOWED' },
        `${reply.request.method} is not supported on ${path}; use ${allowed.join(', ')}.`,
      ),
    notFound: (reply, path) =>
      sendBlackBerryError(
        reply,
        { status: 404, code: 'NOT_FOUND' },
        `No resource matches ${reply.request.method} ${path}.`,
      ),
  });
}
