// Helpers every compatibility facade needs: its 405/404 and error answers, paging, the calling instance.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { HTTPMethod } from 'find-my-way';
import { DomainError, RateLimited, Unauthenticated, type FieldIssue } from '../../domain/errors.js';
import type { Clock } from '../../domain/clock.js';
import type { Instance } from '../../domain/instance.js';
import { LoginThrottled } from '../../domain/user.js';
import type { ServiceContext } from '../../services/context.js';
import type { Services } from '../../services/index.js';
import { contextOf } from '../plugins/auth.js';
import { noteDomainError } from '../plugins/errors.js';
import { issuesFromValidation } from '../validation.js';

/** A filter value of the collection query language, quoted (a quote inside is doubled). */
export function quoted(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/** Every row of a paged service list, following `continue` tokens. */
export async function listAll<Row>(
  list: (params: {
    filter?: string;
    limit: string;
    continue?: string;
  }) => Promise<{ rows: Row[]; continueToken?: string }>,
  filter: string | undefined,
): Promise<Row[]> {
  const rows: Row[] = [];
  let next: string | undefined;
  do {
    const page = await list({
      ...(filter === undefined ? {} : { filter }),
      limit: '1000',
      ...(next === undefined ? {} : { continue: next }),
    });
    rows.push(...page.rows);
    next = page.continueToken;
  } while (next !== undefined);
  return rows;
}

/**
 * A facade's not-found handler: a known path with another method gets `methodNotAllowed` (the
 * `Allow` header is already set), anything else `notFound`. Each facade answers in its own format.
 */
export function facadeNotFoundHandler(
  app: FastifyInstance,
  answers: {
    methodNotAllowed(
      reply: FastifyReply,
      allowed: readonly HTTPMethod[],
      path: string,
    ): FastifyReply;
    notFound(reply: FastifyReply, path: string): FastifyReply;
  },
) {
  return (request: FastifyRequest, reply: FastifyReply): FastifyReply => {
    const allowed = app.allowedMethods(request.url);
    const path = request.url.split('?')[0] ?? '/';
    if (allowed.length > 0 && !allowed.includes(request.method as HTTPMethod)) {
      return answers.methodNotAllowed(reply.header('allow', allowed.join(', ')), allowed, path);
    }
    return answers.notFound(reply, path);
  };
}

/**
 * How a facade answers each kind of failure, in its own format. `facadeErrorHandler` sorts the
 * failure and logs it once; the facade only decides the body.
 */
export interface FacadeErrorAnswers {
  /** No credentials (`error.missing`) or bad ones. */
  unauthenticated(reply: FastifyReply, error: Unauthenticated): FastifyReply;
  /** A typed failure of the domain or a service: the facade's mapping table decides. */
  domain(reply: FastifyReply, error: DomainError): FastifyReply;
  /** The request failed its schema: one issue per field (`body`) or parameter (`params`). */
  invalid(reply: FastifyReply, issues: FieldIssue[], where: 'body' | 'params'): FastifyReply;
  /** Another 4xx of the framework (malformed JSON, media type, size…): see `error.code`. */
  client(reply: FastifyReply, status: number, error: FastifyError): FastifyReply;
  /** Anything unexpected; already logged with its stack. */
  internal(reply: FastifyReply): FastifyReply;
  /**
   * Too many failed logins, or a license's rate limit used up (429, `Retry-After` already set).
   * Absent: `client` with status 429.
   */
  throttled?(reply: FastifyReply, error: Error): FastifyReply;
}

/**
 * Framework errors whose message may quote the request body (malformed JSON quotes the bytes,
 * which can be a password): logged by code only.
 */
const BODY_QUOTING_ERRORS = new Set(['FST_ERR_CTP_INVALID_JSON', 'FST_ERR_CTP_EMPTY_JSON_BODY']);

/** A facade's `setErrorHandler`: every failure sorted, logged and answered by `answers`. */
export function facadeErrorHandler(answers: FacadeErrorAnswers) {
  return (error: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply => {
    if (error instanceof LoginThrottled) {
      request.log.info({ retryAfter: error.retryAfterSeconds }, 'login throttled');
      void reply.header('retry-after', String(error.retryAfterSeconds));
      return answers.throttled === undefined
        ? answers.client(reply, 429, error)
        : answers.throttled(reply, error);
    }
    if (error instanceof RateLimited) {
      request.log.info({ retryAfter: error.retryAfterSeconds }, error.message);
      void reply.header('retry-after', String(error.retryAfterSeconds));
      return answers.throttled === undefined
        ? answers.client(reply, 429, error)
        : answers.throttled(reply, error);
    }
    if (error instanceof Unauthenticated) {
      request.log.info({ code: error.code }, error.message);
      return answers.unauthenticated(reply, error);
    }
    if (error instanceof DomainError) {
      noteDomainError(request, reply, error);
      return answers.domain(reply, error);
    }
    if (error.validation) {
      const context = error.validationContext ?? 'body';
      const issues = issuesFromValidation(error.validation, context);
      request.log.info({ issues, context }, 'request failed validation');
      return answers.invalid(reply, issues, context === 'body' ? 'body' : 'params');
    }
    const status = error.statusCode ?? 500;
    if (status === 429 && answers.throttled !== undefined) {
      request.log.info({ code: error.code }, error.message);
      return answers.throttled(reply, error);
    }
    if (status >= 400 && status < 500) {
      const quotesBody = error.message.includes('JSON') || BODY_QUOTING_ERRORS.has(error.code);
      request.log.info({ code: error.code }, quotesBody ? 'malformed body' : error.message);
      return answers.client(reply, status, error);
    }
    const principal =
      request.principal === null
        ? undefined
        : { sub: request.principal.subject, role: request.principal.role };
    request.log.error({ err: error, principal }, 'unexpected error');
    return answers.internal(reply);
  };
}

/** The install a device API (HP controller, NetProfiler appliance) speaks for. */
export interface CallingInstance {
  ctx: ServiceContext;
  instance: Instance;
}

/**
 * The instance of the request's instance token: device APIs describe the device itself. A token
 * bound to no instance gets the facade's own refusal (`refuse` builds the error to throw).
 */
export async function callingInstance(
  services: Services,
  request: FastifyRequest,
  clock: Clock,
  refuse: () => Error,
): Promise<CallingInstance> {
  const ctx = contextOf(request, clock);
  const id = ctx.principal.instance;
  if (id === undefined) throw refuse();
  return { ctx, instance: await services.instances.get(ctx, id) };
}
