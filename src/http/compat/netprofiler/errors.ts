import type { FastifyInstance, FastifyReply } from 'fastify';
import type { DomainErrorCode, Unauthenticated } from '../../../domain/errors.js';
import { InvalidCredentials } from '../../../domain/user.js';
import { TokenExpired } from '../../../services/tokens.js';
import { facadeErrorHandler, facadeNotFoundHandler } from '../shared.js';
import type { NpError } from './schemas.js';

/**
 * Typed domain errors → NetProfiler `error_id` and status, in one table. The document lists only
 * 400, 401, 405 and 500; 403 and 404 use the ids of Riverbed's common API (`AUTH_FORBIDDEN`,
 * `RESOURCE_NOT_FOUND`).
 */
const DOMAIN_ERRORS: Record<DomainErrorCode, { status: number; id: string }> = {
  UNAUTHENTICATED: { status: 401, id: 'AUTH_INVALID_CREDENTIALS' },
  FORBIDDEN: { status: 403, id: 'AUTH_FORBIDDEN' },
  NOT_FOUND: { status: 404, id: 'RESOURCE_NOT_FOUND' },
  INVALID_FIELDS: { status: 400, id: 'BAD_REQUEST' },
  INVALID_PARAMS: { status: 400, id: 'BAD_REQUEST' },
  CONFLICT: { status: 400, id: 'BAD_REQUEST' },
  IN_USE: { status: 400, id: 'BAD_REQUEST' },
  SEAT_LIMIT: { status: 400, id: 'BAD_REQUEST' },
  NOT_USABLE: { status: 400, id: 'BAD_REQUEST' },
  RATE_LIMITED: { status: 429, id: 'TOO_MANY_REQUESTS' },
  UNAVAILABLE: { status: 503, id: 'SERVICE_UNAVAILABLE' },
};

function send(reply: FastifyReply, status: number, body: NpError): FastifyReply {
  return reply.code(status).type('application/json').send(body);
}

/**
 * The `error_id` of a 401, which tells a client what to do: log in (`AUTH_REQUIRED`), fix the
 * user name or password (`AUTH_INVALID_CREDENTIALS`), or get a new token (`AUTH_EXPIRED_TOKEN`,
 * `AUTH_INVALID_SESSION`: a token that is revoked, forged or malformed).
 */
export function authErrorId(error: Unauthenticated): string {
  if (error.missing) return 'AUTH_REQUIRED';
  if (error instanceof InvalidCredentials) return 'AUTH_INVALID_CREDENTIALS';
  if (error instanceof TokenExpired) return 'AUTH_EXPIRED_TOKEN';
  return 'AUTH_INVALID_SESSION';
}

/** Every failure under the facade, as NetProfiler's `{error_id, error_text, error_info}`. */
export const handleNetProfilerError = facadeErrorHandler({
  unauthenticated: (reply, error) =>
    send(reply.header('www-authenticate', 'Basic realm="entitle", Bearer realm="entitle"'), 401, {
      error_id: authErrorId(error),
      error_text: error.missing ? 'Authentication required.' : error.message,
    }),
  domain: (reply, error) => {
    const mapped = DOMAIN_ERRORS[error.code];
    return send(reply, mapped.status, {
      error_id: mapped.id,
      error_text: error.message,
      ...(error.issues.length === 0 ? {} : { error_info: { fields: error.issues } }),
    });
  },
  invalid: (reply, fields) =>
    send(reply, 400, {
      error_id: 'BAD_REQUEST',
      error_text: 'Invalid argument.',
      error_info: { fields },
    }),
  client: (reply, _status, error) =>
    send(reply, 400, { error_id: 'BAD_REQUEST', error_text: error.message }),
  throttled: (reply, error) =>
    send(reply, 429, { error_id: 'TOO_MANY_REQUESTS', error_text: error.message }),
  internal: (reply) =>
    send(reply, 500, { error_id: 'INTERNAL_ERROR', error_text: 'Internal error.' }),
});

/** Unknown paths under the facade: `HTTP_INVALID_METHOD` 405 with `Allow`, else 404. */
export function netProfilerNotFound(app: FastifyInstance) {
  return facadeNotFoundHandler(app, {
    methodNotAllowed: (reply, allowed) =>
      send(reply, 405, {
        error_id: 'HTTP_INVALID_METHOD',
        error_text: 'Requested method is not available for this resource.',
        error_info: { method: reply.request.method, allowed },
      }),
    notFound: (reply, path) =>
      send(reply, 404, { error_id: 'RESOURCE_NOT_FOUND', error_text: `No resource at ${path}.` }),
  });
}
