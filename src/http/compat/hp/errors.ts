import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { DomainError, Unauthenticated, type DomainErrorCode } from '../../../domain/errors.js';
import type { HpError } from './schemas.js';

/** HP's error names, after the controller's Java exceptions; the document shows no error body. */
export type HpErrorName =
  | 'IllegalArgumentException'
  | 'AuthenticationException'
  | 'NotFoundException'
  | 'MethodNotAllowedException'
  | 'IllegalStateException'
  | 'ServiceUnavailableException';

interface HpFailure {
  status: 400 | 401 | 404 | 405 | 503;
  error: HpErrorName;
}

/**
 * Typed domain errors → HP status and error name, in one table. HP documents only 200, 400, 401,
 * 404, 405 and 503: a forbidden operation is an authorization failure (401), and a state that
 * forbids the request (seat limit, not usable, conflict) is a bad request (400).
 */
export const HP_ERRORS: Record<DomainErrorCode, HpFailure> = {
  NOT_FOUND: { status: 404, error: 'NotFoundException' },
  FORBIDDEN: { status: 401, error: 'AuthenticationException' },
  UNAUTHENTICATED: { status: 401, error: 'AuthenticationException' },
  INVALID_FIELDS: { status: 400, error: 'IllegalArgumentException' },
  INVALID_PARAMS: { status: 400, error: 'IllegalArgumentException' },
  CONFLICT: { status: 400, error: 'IllegalStateException' },
  IN_USE: { status: 400, error: 'IllegalStateException' },
  SEAT_LIMIT: { status: 400, error: 'IllegalStateException' },
  NOT_USABLE: { status: 400, error: 'IllegalStateException' },
};

/** Sends `{"error", "message"}` as application/json. */
export function sendHpError(
  reply: FastifyReply,
  status: HpFailure['status'],
  error: HpErrorName,
  message: string,
): FastifyReply {
  const body: HpError = { error, message };
  return reply.code(status).type('application/json; charset=utf-8').send(body);
}

/** The facade's error handler: every failure in HP's format, nothing internal leaks. */
export function handleHpError(
  error: FastifyError,
  request: FastifyRequest,
  reply: FastifyReply,
): FastifyReply {
  if (error instanceof DomainError) {
    request.log.info({ code: error.code, issues: error.issues }, error.message);
    const failure = HP_ERRORS[error.code];
    if (error instanceof Unauthenticated) {
      reply.header('www-authenticate', 'Bearer realm="entitle"');
    }
    return sendHpError(reply, failure.status, failure.error, error.message);
  }
  if (error.validation) {
    const context = error.validationContext ?? 'body';
    const what = error.validation
      .map((issue) => `${context}${issue.instancePath.replaceAll('/', '.')} ${issue.message ?? ''}`)
      .join('; ');
    request.log.info({ context, validation: error.validation }, 'request failed validation');
    return sendHpError(reply, 400, 'IllegalArgumentException', what.trim());
  }
  const status = error.statusCode ?? 500;
  if (status >= 400 && status < 500) {
    // Unsupported media type, malformed JSON, body too large…: HP knows only Bad Request.
    request.log.info({ code: error.code }, error.message);
    return sendHpError(reply, 400, 'IllegalArgumentException', error.message);
  }
  request.log.error({ err: error }, 'unexpected error');
  return sendHpError(
    reply,
    503,
    'ServiceUnavailableException',
    'The licensing service is unavailable; try again later.',
  );
}
