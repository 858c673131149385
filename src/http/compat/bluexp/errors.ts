import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Forbidden, type DomainErrorCode } from '../../../domain/errors.js';
import { facadeErrorHandler, facadeNotFoundHandler } from '../shared.js';
import type { BlueXpError } from './schemas.js';

/** Typed domain errors → BlueXP status and code: the only place a status is decided. */
const DOMAIN_ERRORS: Record<DomainErrorCode, { status: number; code: string }> = {
  UNAUTHENTICATED: { status: 401, code: 'UNAUTHORIZED' },
  FORBIDDEN: { status: 403, code: 'FORBIDDEN' },
  NOT_FOUND: { status: 404, code: 'NOT_FOUND' },
  INVALID_FIELDS: { status: 400, code: 'BAD_REQUEST' },
  INVALID_PARAMS: { status: 400, code: 'BAD_REQUEST' },
  // The document has no 409 or 422: every other refusal of the input is a Bad Request.
  CONFLICT: { status: 400, code: 'BAD_REQUEST' },
  IN_USE: { status: 400, code: 'BAD_REQUEST' },
  SEAT_LIMIT: { status: 400, code: 'BAD_REQUEST' },
  NOT_USABLE: { status: 400, code: 'BAD_REQUEST' },
  RATE_LIMITED: { status: 429, code: 'TOO_MANY_REQUESTS' },
  UNAVAILABLE: { status: 503, code: 'SERVICE_UNAVAILABLE' },
};

function send(
  reply: FastifyReply,
  status: number,
  body: Omit<BlueXpError, 'status' | 'requestId' | 'details'> & Partial<BlueXpError>,
): FastifyReply {
  const full: BlueXpError = {
    status,
    code: body.code,
    message: body.message,
    requestId: reply.request.id,
    details: body.details ?? [],
  };
  return reply.code(status).type('application/json').send(full);
}

/** Every failure of the facade, logged and answered as a BlueXP error body. */
export const handleBlueXpError = facadeErrorHandler({
  unauthenticated: (reply, error) =>
    send(reply, 401, { code: 'UNAUTHORIZED', message: error.message }),
  domain: (reply, error) => {
    const mapped = DOMAIN_ERRORS[error.code];
    return send(reply, mapped.status, {
      code: mapped.code,
      message: error.message,
      details: error.issues,
    });
  },
  invalid: (reply, details, where) =>
    send(reply, 400, {
      code: 'BAD_REQUEST',
      message: `The request ${where === 'body' ? 'body' : 'parameters'} could not be parsed.`,
      details,
    }),
  // Malformed JSON, wrong media type, body too large: the input could not be parsed.
  client: (reply, _status, error) =>
    send(reply, 400, { code: 'BAD_REQUEST', message: error.message }),
  throttled: (reply, error) =>
    send(reply, 429, { code: 'TOO_MANY_REQUESTS', message: error.message }),
  internal: (reply) =>
    send(reply, 500, {
      code: 'PROCESSING_ERROR',
      message: 'An error occurred on the server while processing the API call.',
    }),
});

/** Unknown paths under the facade: 405 with `Allow` for a known path, else 404. */
export function blueXpNotFound(app: FastifyInstance) {
  return facadeNotFoundHandler(app, {
    methodNotAllowed: (reply, allowed, path) =>
      send(reply, 405, {
        code: 'METHOD_NOT_ALLOWED',
        message: `${reply.request.method} is not supported on ${path}; use ${allowed.join(', ')}.`,
      }),
    notFound: (reply, path) =>
      send(reply, 404, {
        code: 'NOT_FOUND',
        message: `No resource matches ${reply.request.method} ${path}.`,
      }),
  });
}

/** Writes take a user token (a person or the UI); a service token (machine to machine) only reads. */
export function requireUserToken(request: FastifyRequest): void {
  if (request.principal?.type !== 'user') {
    throw new Forbidden('This endpoint requires a user token; a service token may only read.');
  }
}
