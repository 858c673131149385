import { STATUS_CODES } from 'node:http';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import FindMyWay, { type HTTPMethod } from 'find-my-way';
import { DomainError, RateLimited, Unauthenticated, Unavailable } from '../../domain/errors.js';
import { problem, problemForDomainError, sendProblem, type ProblemSlug } from '../problems.js';
import { issuesFromValidation } from '../validation.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** Every method and URL pattern registered, in registration order. */
    registeredRoutes(): readonly { method: string; url: string }[];
    /** The methods registered for a request URL's path; empty when the path is unknown. */
    allowedMethods(url: string): HTTPMethod[];
  }
}

const METHODS: HTTPMethod[] = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

/** Fastify's own error codes for bad input, by the problem each one is. */
const FRAMEWORK_ERRORS: Record<string, ProblemSlug> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'payload-too-large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported-media-type',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'malformed-body',
  FST_ERR_CTP_INVALID_JSON_BODY: 'malformed-body',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'malformed-body',
  FST_ERR_CTP_INVALID_TYPE: 'unsupported-media-type',
  FST_ERR_BAD_URL: 'invalid-params',
  FST_ERR_RATE_LIMIT: 'too-many-requests',
};

/**
 * Logs a domain error and sets its `Retry-After`, for the native and every facade error handler
 * alike: an outage is the server's trouble, logged as a warning with the driver's own error; the
 * rest are the caller's, logged at info. Rate limits and outages say when to come back.
 */
export function noteDomainError(
  request: FastifyRequest,
  reply: FastifyReply,
  error: DomainError,
): void {
  if (error instanceof Unavailable) request.log.warn({ err: error.cause }, error.message);
  else request.log.info({ code: error.code, issues: error.issues }, error.message);
  if (error instanceof RateLimited || error instanceof Unavailable) {
    void reply.header('retry-after', String(error.retryAfterSeconds));
  }
}

/**
 * One error handler and one not-found handler for the whole server: every failure becomes an
 * RFC 9457 problem, bad input is a 4xx naming what is wrong, and nothing else leaks a stack trace.
 * A known path with an unsupported method answers 405 with `Allow`.
 */
export const errorsPlugin = fp(
  (app: FastifyInstance, _options: object, done: () => void) => {
    const routes = FindMyWay({ ignoreTrailingSlash: true, ignoreDuplicateSlashes: true });
    const registered: { method: string; url: string }[] = [];
    app.decorate('registeredRoutes', () => registered);
    app.decorate('allowedMethods', (url: string) => {
      const path = url.split('?')[0] ?? '/';
      return METHODS.filter((method) => routes.find(method, path) !== null);
    });
    app.addHook('onRoute', (route) => {
      const methods = Array.isArray(route.method) ? route.method : [route.method];
      for (const method of methods) {
        if (!routes.hasRoute(method as HTTPMethod, route.url)) {
          routes.on(method as HTTPMethod, route.url, () => undefined);
          registered.push({ method, url: route.url });
        }
      }
    });

    app.setErrorHandler((error: FastifyError, request, reply) =>
      handleError(error, request, reply),
    );

    app.setNotFoundHandler((request, reply) => {
      const path = request.url.split('?')[0] ?? '/';
      const allowed = app.allowedMethods(request.url);
      // A route that exists for this very method but found nothing is a plain 404, not a 405.
      if (allowed.length > 0 && !allowed.includes(request.method as HTTPMethod)) {
        return sendProblem(
          reply.header('allow', allowed.join(', ')),
          problem(
            'method-not-allowed',
            request.id,
            `${request.method} is not supported on ${path}; use ${allowed.join(', ')}.`,
          ),
        );
      }
      return sendProblem(
        reply,
        problem('route-not-found', request.id, `No route matches ${request.method} ${path}.`),
      );
    });
    done();
  },
  { name: 'entitle-errors' },
);

export function handleError(
  error: FastifyError,
  request: FastifyRequest,
  reply: FastifyReply,
): FastifyReply {
  if (error instanceof Unauthenticated) {
    request.log.info({ code: error.code }, error.message);
    reply.header(
      'www-authenticate',
      error.missing ? 'Bearer realm="entitle"' : 'Bearer realm="entitle", error="invalid_token"',
    );
    return sendProblem(
      reply,
      problem(error.missing ? 'missing-token' : 'invalid-token', request.id, error.message),
    );
  }
  if (error instanceof DomainError) {
    noteDomainError(request, reply, error);
    return sendProblem(reply, problemForDomainError(error, request.id));
  }
  if (error.validation) {
    const context = error.validationContext ?? 'body';
    const issues = issuesFromValidation(error.validation, context);
    request.log.info({ issues, context }, 'request failed validation');
    return context === 'body'
      ? sendProblem(
          reply,
          problem('invalid-fields', request.id, undefined, { invalidFields: issues }),
        )
      : sendProblem(
          reply,
          problem('invalid-params', request.id, undefined, { invalidParams: issues }),
        );
  }
  const slug = FRAMEWORK_ERRORS[error.code];
  if (slug !== undefined) {
    request.log.info({ code: error.code }, error.message);
    return sendProblem(reply, problem(slug, request.id, frameworkDetail(error, request)));
  }
  const status = error.statusCode ?? 500;
  if (status >= 400 && status < 500) {
    // A client error from a plugin we do not know by code: keep its status, not its internals.
    request.log.info({ err: error }, 'client error');
    return sendProblem(reply, {
      type: 'about:blank',
      title: STATUS_CODES[status] ?? 'Client error',
      status,
      detail: error.message,
      correlationID: request.id,
    });
  }
  const principal =
    request.principal === null
      ? undefined
      : { sub: request.principal.subject, role: request.principal.role };
  request.log.error({ err: error, principal }, 'unexpected error');
  return sendProblem(reply, problem('internal', request.id));
}

function frameworkDetail(error: FastifyError, request: FastifyRequest): string {
  switch (error.code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_INVALID_TYPE':
      return `Content-Type '${request.headers['content-type'] ?? ''}' is not accepted here; send application/json.`;
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return `The request body exceeds the limit of ${String(request.routeOptions.bodyLimit)} bytes.`;
    default:
      return error.message;
  }
}
