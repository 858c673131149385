import type { FastifyReply } from 'fastify';
import { Type, type Static } from 'typebox';
import type { DomainError, DomainErrorCode, FieldIssue } from '../domain/errors.js';

/**
 * The native API's problem catalog (RFC 9457). Each entry is documented at `/problems/<slug>`.
 * Every failure a handler can meet maps to exactly one entry, in one place: `problemFor`.
 */
export const PROBLEM_TYPES = {
  'invalid-fields': {
    status: 400,
    title: 'Invalid request body',
    description:
      'One or more fields of the request body are missing or invalid; `invalidFields` names each one.',
  },
  'invalid-params': {
    status: 400,
    title: 'Invalid query parameters',
    description:
      'One or more query, path or header parameters are invalid; `invalidParams` names each one.',
  },
  'malformed-body': {
    status: 400,
    title: 'Malformed request body',
    description: 'The request body could not be parsed as the declared content type.',
  },
  'missing-token': {
    status: 401,
    title: 'Missing bearer token',
    description: 'The request is missing the required bearer token.',
  },
  'invalid-token': {
    status: 401,
    title: 'Invalid bearer token',
    description:
      'The bearer token is malformed, expired, not yet valid, for another audience or issuer, or badly signed.',
  },
  forbidden: {
    status: 403,
    title: 'Operation not permitted',
    description: "The token's role does not allow this operation.",
  },
  'not-found': {
    status: 404,
    title: 'Resource not found',
    description: 'The resource does not exist, or belongs to an account outside the token.',
  },
  'route-not-found': {
    status: 404,
    title: 'Route not found',
    description: 'No route matches the request path.',
  },
  'method-not-allowed': {
    status: 405,
    title: 'Method not allowed',
    description:
      'The path exists but does not support this method; the Allow header lists the methods it does.',
  },
  conflict: {
    status: 409,
    title: 'Resource conflict',
    description: 'The request conflicts with the current state, e.g. an id or slug already in use.',
  },
  'in-use': {
    status: 409,
    title: 'Resource in use',
    description: 'The resource is still referenced by other resources and cannot be deleted.',
  },
  'seat-limit-reached': {
    status: 409,
    title: 'Seat limit reached',
    description: 'Every seat of the license is in use; deactivate an instance to free one.',
  },
  'license-not-usable': {
    status: 409,
    title: 'License not usable',
    description: 'The license is revoked, suspended, unrecognized, not yet valid or expired.',
  },
  'payload-too-large': {
    status: 413,
    title: 'Request body too large',
    description: 'The request body exceeds the configured limit.',
  },
  'unsupported-media-type': {
    status: 415,
    title: 'Unsupported media type',
    description: 'The request body has a content type this route does not accept.',
  },
  'too-many-requests': {
    status: 429,
    title: 'Too many requests',
    description: 'The client sent too many requests; retry later.',
  },
  'rate-limited': {
    status: 429,
    title: 'Rate limit reached',
    description:
      "The license's limit on activations, deactivations or validations per window is used up; `Retry-After` says when the window ends.",
  },
  internal: {
    status: 500,
    title: 'Internal server error',
    description: 'An unexpected error occurred. It has been logged with the correlation id.',
  },
  unavailable: {
    status: 503,
    title: 'Service unavailable',
    description: 'A dependency, such as the database, is not reachable.',
  },
} as const satisfies Record<string, { status: number; title: string; description: string }>;

export type ProblemSlug = keyof typeof PROBLEM_TYPES;

export const PROBLEM_SCHEMA_ID = 'Problem';

const FieldIssueSchema = Type.Object({ name: Type.String(), reason: Type.String() });

export const ProblemSchema = Type.Object(
  {
    type: Type.String({ description: 'URI reference of the problem type, documented there.' }),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.String(),
    correlationID: Type.String({
      description: 'The request id; quote it when asking for support.',
    }),
    invalidFields: Type.Optional(Type.Array(FieldIssueSchema)),
    invalidParams: Type.Optional(Type.Array(FieldIssueSchema)),
  },
  { $id: PROBLEM_SCHEMA_ID, title: 'Problem' },
);
export type Problem = Static<typeof ProblemSchema>;

export function problem(
  slug: ProblemSlug,
  correlationID: string,
  detail?: string,
  extra: { invalidFields?: FieldIssue[]; invalidParams?: FieldIssue[] } = {},
): Problem {
  const entry = PROBLEM_TYPES[slug];
  return {
    type: `/problems/${slug}`,
    title: entry.title,
    status: entry.status,
    detail: detail ?? entry.description,
    correlationID,
    ...extra,
  };
}

const SLUG_FOR_CODE: Record<DomainErrorCode, ProblemSlug> = {
  NOT_FOUND: 'not-found',
  FORBIDDEN: 'forbidden',
  UNAUTHENTICATED: 'invalid-token',
  INVALID_FIELDS: 'invalid-fields',
  INVALID_PARAMS: 'invalid-params',
  CONFLICT: 'conflict',
  IN_USE: 'in-use',
  SEAT_LIMIT: 'seat-limit-reached',
  NOT_USABLE: 'license-not-usable',
  RATE_LIMITED: 'rate-limited',
  UNAVAILABLE: 'unavailable',
};

export function problemForDomainError(error: DomainError, correlationID: string): Problem {
  const slug = SLUG_FOR_CODE[error.code];
  const extra =
    error.code === 'INVALID_PARAMS'
      ? { invalidParams: error.issues }
      : error.issues.length > 0
        ? { invalidFields: error.issues }
        : {};
  // Field-level reasons are in the lists; the detail stays the catalog's, whichever layer found them.
  const detail = slug === 'invalid-fields' || slug === 'invalid-params' ? undefined : error.message;
  return problem(slug, correlationID, detail, extra);
}

export function sendProblem(reply: FastifyReply, body: Problem): FastifyReply {
  return reply.code(body.status).type('application/problem+json').send(body);
}
