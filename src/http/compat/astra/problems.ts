import { STATUS_CODES } from 'node:http';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { Type, type Static } from 'typebox';
import {
  NotFound,
  type DomainError,
  type DomainErrorCode,
  type FieldIssue,
} from '../../../domain/errors.js';
import { facadeErrorHandler, facadeNotFoundHandler } from '../shared.js';

/**
 * Astra problems (RFC 7807, reference 002): `type` is `https://astra.netapp.io/problems/N`,
 * `status` is a STRING, `correlationID` is the request id. This file is the one place that decides
 * which Astra problem a failure is.
 */
const Issues = Type.Array(Type.Object({ name: Type.String(), reason: Type.String() }));

export const AstraProblemSchema = Type.Object(
  {
    type: Type.String({ examples: ['https://astra.netapp.io/problems/5'] }),
    title: Type.String(),
    detail: Type.String(),
    status: Type.String({ description: 'The HTTP status, as a string.' }),
    correlationID: Type.String(),
    invalidFields: Type.Optional(Issues),
    invalidParams: Type.Optional(Issues),
  },
  { title: 'Astra problem' },
);
export type AstraProblem = Static<typeof AstraProblemSchema>;

/**
 * Astra answers keep the document's field order, optional fields in place; fast-json-stringify
 * would move absent-able fields last. The response schemas still document (and type) the routes.
 */
export const inDocumentOrder = () => (data: unknown) => JSON.stringify(data);

/** The error answers every Astra route documents. */
export const ASTRA_ERRORS = {
  400: AstraProblemSchema,
  401: AstraProblemSchema,
  403: AstraProblemSchema,
  404: AstraProblemSchema,
  409: AstraProblemSchema,
  412: AstraProblemSchema,
};

export const PROBLEM_MEDIA_TYPE = 'application/problem+json';

/** The numbered problems of the document, with its titles and details word for word. */
export const ASTRA_PROBLEMS = {
  resourceNotFound: {
    n: 1,
    status: 404,
    title: 'Resource not found',
    detail: "The resource specified in the request URI wasn't found.",
  },
  collectionNotFound: {
    n: 2,
    status: 404,
    title: 'Collection not found',
    detail: "The collection specified in the request URI wasn't found.",
  },
  missingToken: {
    n: 3,
    status: 401,
    title: 'Missing bearer token',
    detail: 'The request is missing the required bearer token.',
  },
  invalidParameters: {
    n: 5,
    status: 400,
    title: 'Invalid query parameters',
    detail: 'The supplied query parameters are invalid.',
  },
  conflict: {
    n: 10,
    status: 409,
    title: 'JSON resource conflict',
    detail: 'The request body JSON contains a field that conflicts with an idempotent value.',
  },
  forbidden: {
    n: 11,
    status: 403,
    title: 'Operation not permitted',
    detail: "The requested operation isn't permitted.",
  },
} as const;

type AstraProblemName = keyof typeof ASTRA_PROBLEMS;

/** Typed domain errors → Astra problems. */
const PROBLEM_FOR_CODE: Record<Exclude<DomainErrorCode, 'UNAVAILABLE'>, AstraProblemName> = {
  NOT_FOUND: 'resourceNotFound',
  FORBIDDEN: 'forbidden',
  UNAUTHENTICATED: 'missingToken',
  INVALID_FIELDS: 'invalidParameters',
  INVALID_PARAMS: 'invalidParameters',
  CONFLICT: 'conflict',
  IN_USE: 'conflict',
  SEAT_LIMIT: 'conflict',
  NOT_USABLE: 'conflict',
  // Never read: facadeErrorHandler answers a rate limit first, as a 429 through `client`.
  RATE_LIMITED: 'conflict',
};

/** The account of the path is unknown or outside the token: the collection does not exist. */
export class CollectionNotFound extends NotFound {
  constructor(accountId: string) {
    super('Account', accountId);
  }
}

/** Detail of a 400 about the request body (the document words only the query case). */
const INVALID_BODY_DETAIL = 'The supplied JSON request body is invalid.';

export function astraProblem(
  name: AstraProblemName,
  correlationID: string,
  detail?: string,
  extra: { invalidFields?: FieldIssue[]; invalidParams?: FieldIssue[] } = {},
): AstraProblem {
  const entry = ASTRA_PROBLEMS[name];
  return {
    type: `https://astra.netapp.io/problems/${String(entry.n)}`,
    title: entry.title,
    detail: detail ?? entry.detail,
    status: String(entry.status),
    correlationID,
    ...extra,
  };
}

/** Failures the document does not number (405, 413, 415, 500, 503): RFC 7807's `about:blank`. */
export function httpProblem(status: number, correlationID: string, detail: string): AstraProblem {
  return {
    type: 'about:blank',
    title: STATUS_CODES[status] ?? 'Error',
    detail,
    status: String(status),
    correlationID,
  };
}

export function sendAstraProblem(reply: FastifyReply, body: AstraProblem): FastifyReply {
  return reply.code(Number(body.status)).type(PROBLEM_MEDIA_TYPE).send(body);
}

function problemForDomainError(error: DomainError, id: string): AstraProblem {
  if (error instanceof CollectionNotFound) return astraProblem('collectionNotFound', id);
  // The document numbers no problem for an outage: RFC 7807's `about:blank`, as for a 500.
  if (error.code === 'UNAVAILABLE') return httpProblem(503, id, error.message);
  const name = PROBLEM_FOR_CODE[error.code];
  switch (name) {
    case 'invalidParameters':
      return error.code === 'INVALID_PARAMS'
        ? astraProblem(name, id, undefined, { invalidParams: error.issues })
        : astraProblem(name, id, INVALID_BODY_DETAIL, { invalidFields: error.issues });
    case 'conflict':
      // The document's wording fits a body id that is not the path's; other conflicts (a stale
      // revision, a refused status change) say what happened.
      return error.issues.some((issue) => issue.name === 'id')
        ? astraProblem(name, id, undefined, { invalidFields: error.issues })
        : astraProblem(
            name,
            id,
            error.message,
            error.issues.length > 0 ? { invalidFields: error.issues } : {},
          );
    case 'missingToken':
      return astraProblem(name, id, error.message);
    default:
      return astraProblem(name, id);
  }
}

/** Fastify's codes for a body that could not be read as JSON. */
const MALFORMED_BODY = new Set([
  'FST_ERR_CTP_EMPTY_JSON_BODY',
  'FST_ERR_CTP_INVALID_JSON_BODY',
  'FST_ERR_CTP_INVALID_CONTENT_LENGTH',
]);
const UNSUPPORTED_MEDIA_TYPE = new Set([
  'FST_ERR_CTP_INVALID_MEDIA_TYPE',
  'FST_ERR_CTP_INVALID_TYPE',
]);

/** The facade's error handler: every failure as an Astra problem, nothing else leaks. */
export const handleAstraError = facadeErrorHandler({
  unauthenticated: (reply, error) =>
    sendAstraProblem(
      reply.header(
        'www-authenticate',
        error.missing ? 'Bearer realm="astra"' : 'Bearer realm="astra", error="invalid_token"',
      ),
      astraProblem('missingToken', reply.request.id, error.missing ? undefined : error.message),
    ),
  domain: (reply, error) => sendAstraProblem(reply, problemForDomainError(error, reply.request.id)),
  invalid: (reply, issues, where) =>
    sendAstraProblem(
      reply,
      where === 'body'
        ? astraProblem('invalidParameters', reply.request.id, INVALID_BODY_DETAIL, {
            invalidFields: issues,
          })
        : astraProblem('invalidParameters', reply.request.id, undefined, { invalidParams: issues }),
    ),
  client: (reply, status, error) => {
    const id = reply.request.id;
    if (MALFORMED_BODY.has(error.code)) {
      return sendAstraProblem(
        reply,
        astraProblem('invalidParameters', id, INVALID_BODY_DETAIL, {
          invalidFields: [{ name: 'body', reason: error.message }],
        }),
      );
    }
    if (error.code === 'FST_ERR_BAD_URL') {
      return sendAstraProblem(
        reply,
        astraProblem('invalidParameters', id, undefined, {
          invalidParams: [{ name: 'url', reason: error.message }],
        }),
      );
    }
    if (UNSUPPORTED_MEDIA_TYPE.has(error.code)) {
      const given = reply.request.headers['content-type'] ?? '';
      return sendAstraProblem(
        reply,
        httpProblem(415, id, `Content-Type '${given}' is not accepted; send application/json.`),
      );
    }
    return sendAstraProblem(reply, httpProblem(status, id, error.message));
  },
  internal: (reply) =>
    sendAstraProblem(
      reply,
      httpProblem(500, reply.request.id, 'An unexpected error occurred; quote the correlationID.'),
    ),
});

/** Paths under the prefix that match no route: 405 with `Allow` for a known path, else 404. */
export function astraNotFound(app: FastifyInstance) {
  return facadeNotFoundHandler(app, {
    methodNotAllowed: (reply, allowed) =>
      sendAstraProblem(
        reply,
        httpProblem(
          405,
          reply.request.id,
          `${reply.request.method} is not supported here; use ${allowed.join(', ')}.`,
        ),
      ),
    notFound: (reply) =>
      sendAstraProblem(reply, astraProblem('collectionNotFound', reply.request.id)),
  });
}
