import type { FastifyReply } from 'fastify';
import type { DomainErrorCode } from '../../../domain/errors.js';
import type { App } from '../../types.js';
import { facadeErrorHandler, facadeNotFoundHandler } from '../shared.js';
import { exactContentType, HP_JSON, lenientJson } from './media.js';
import type { HpError } from './schemas.js';

/** HP's error names, after the controller's Java exceptions; the document shows no error body. */
export type HpErrorName =
  | 'IllegalArgumentException'
  | 'UnauthorizedException'
  | 'NotFoundException'
  | 'MethodNotAllowedException'
  | 'IllegalStateException'
  | 'ServiceUnavailableException'
  | 'TooManyRequestsException';

interface HpFailure {
  status: 400 | 401 | 404 | 405 | 429 | 503;
  error: HpErrorName;
}

/**
 * Typed domain errors → HP status and error name, in one table. HP documents only 200, 400, 401,
 * 404, 405 and 503: a forbidden operation is an authorization failure (401), and a state that
 * forbids the request (seat limit, not usable, conflict) is a bad request (400).
 */
export const HP_ERRORS: Record<DomainErrorCode, HpFailure> = {
  NOT_FOUND: { status: 404, error: 'NotFoundException' },
  FORBIDDEN: { status: 401, error: 'UnauthorizedException' },
  UNAUTHENTICATED: { status: 401, error: 'UnauthorizedException' },
  INVALID_FIELDS: { status: 400, error: 'IllegalArgumentException' },
  INVALID_PARAMS: { status: 400, error: 'IllegalArgumentException' },
  CONFLICT: { status: 400, error: 'IllegalStateException' },
  IN_USE: { status: 400, error: 'IllegalStateException' },
  SEAT_LIMIT: { status: 400, error: 'IllegalStateException' },
  NOT_USABLE: { status: 400, error: 'IllegalStateException' },
  RATE_LIMITED: { status: 429, error: 'TooManyRequestsException' },
  UNAVAILABLE: { status: 503, error: 'ServiceUnavailableException' },
};

/** Sends `{"error", "message"}` as `application/json`, exactly (HP clients compare the string). */
export function sendHpError(
  reply: FastifyReply,
  status: HpFailure['status'],
  error: HpErrorName,
  message: string,
): FastifyReply {
  const body: HpError = { error, message };
  return reply.code(status).type(HP_JSON).send(body);
}

/** The facade's error handler: every failure in HP's format, nothing internal leaks. */
export const handleHpError = facadeErrorHandler({
  unauthenticated: (reply, error) =>
    sendHpError(
      reply.header('www-authenticate', 'Bearer realm="entitle"'),
      401,
      'UnauthorizedException',
      error.message,
    ),
  domain: (reply, error) => {
    const failure = HP_ERRORS[error.code];
    return sendHpError(reply, failure.status, failure.error, error.message);
  },
  invalid: (reply, issues) =>
    sendHpError(
      reply,
      400,
      'IllegalArgumentException',
      issues.map((issue) => `${issue.name} ${issue.reason}`).join('; '),
    ),
  // Unsupported media type, malformed JSON, body too large…: HP knows only Bad Request.
  client: (reply, _status, error) =>
    sendHpError(reply, 400, 'IllegalArgumentException', error.message),
  throttled: (reply, error) => sendHpError(reply, 429, 'TooManyRequestsException', error.message),
  internal: (reply) =>
    sendHpError(
      reply,
      503,
      'ServiceUnavailableException',
      'The licensing service is unavailable; try again later.',
    ),
});

/**
 * What makes a plugin scope speak HP: JSON bodies parsed leniently (a bare key sent as
 * `application/json` is still the key), the exact `Content-Type` HP clients compare, and HP's
 * `{"error", "message"}` for errors, unknown paths and wrong methods.
 */
export function hpSurface(app: App): void {
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, lenientJson);
  app.addHook('onSend', exactContentType);
  app.setErrorHandler(handleHpError);
  app.setNotFoundHandler(
    facadeNotFoundHandler(app, {
      methodNotAllowed: (reply, allowed, path) =>
        sendHpError(
          reply,
          405,
          'MethodNotAllowedException',
          `${reply.request.method} is not supported on ${path}; use ${allowed.join(', ')}.`,
        ),
      notFound: (reply, path) =>
        sendHpError(reply, 404, 'NotFoundException', `No resource at ${path}.`),
    }),
  );
}
