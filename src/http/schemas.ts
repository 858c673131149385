import { Type, type TSchema } from 'typebox';
import { PROBLEM_SCHEMA_ID, PROBLEM_TYPES, type ProblemSlug } from './problems.js';

/** Query parameters every native collection takes (all strings: the query language parses them). */
export const ListQuerySchema = Type.Object(
  {
    filter: Type.Optional(
      Type.String({
        maxLength: 4000,
        description:
          "Conditions `field op value` joined by `and`; op is eq, ne, lt, gt, lte or gte; strings in single quotes. Example: `name eq 'Acme' and createdAt gt '2026-01-01T00:00:00Z'`.",
      }),
    ),
    orderBy: Type.Optional(
      Type.String({
        maxLength: 500,
        description: 'Comma-separated `field [asc|desc]`. Example: `name desc,id`.',
      }),
    ),
    // Bounds and values are checked by the query language, which names every bad parameter at once.
    limit: Type.Optional(
      Type.String({ description: 'Page size, 1 to 1000 (default 100).', examples: ['50'] }),
    ),
    skip: Type.Optional(
      Type.String({ description: 'Rows to skip before the page starts.', examples: ['0'] }),
    ),
    count: Type.Optional(
      Type.String({
        description: '`true` adds the total number of matches as `metadata.count`.',
        examples: ['true'],
      }),
    ),
    continue: Type.Optional(
      Type.String({
        maxLength: 2000,
        description: 'The `metadata.continue` token of the previous page.',
      }),
    ),
    include: Type.Optional(
      Type.String({
        maxLength: 500,
        description: 'Comma-separated fields to return for each item.',
      }),
    ),
  },
  { additionalProperties: false },
);

export const ListMetadataSchema = Type.Object({
  continue: Type.Optional(Type.String({ description: 'Pass as `continue` to get the next page.' })),
  count: Type.Optional(Type.Integer({ description: 'Matches of the filter, when `count=true`.' })),
});

/** `{ items, metadata }`; items are partial when `include` names a subset of fields. */
export function listOf<T extends TSchema>(item: T, name: string) {
  return Type.Object(
    { items: Type.Array(Type.Partial(item)), metadata: ListMetadataSchema },
    { title: name },
  );
}

/** Problem responses of a route, for its schema (documentation and serialization). */
export function problems(...slugs: ProblemSlug[]): Record<number, ProblemResponse> {
  const responses: Record<number, ProblemResponse> = {};
  for (const slug of ['invalid-token', ...slugs] as ProblemSlug[]) {
    const { status, title } = PROBLEM_TYPES[slug];
    const previous = responses[status];
    responses[status] = {
      description: previous === undefined ? title : `${previous.description}; ${title}`,
      content: { 'application/problem+json': { schema: Type.Ref(`${PROBLEM_SCHEMA_ID}#`) } },
    };
  }
  return responses;
}

/** Problems of a route that takes a JSON body, plus the route's own. */
export function bodyProblems(...slugs: ProblemSlug[]): Record<number, ProblemResponse> {
  return problems(
    'invalid-fields',
    'malformed-body',
    'payload-too-large',
    'unsupported-media-type',
    ...slugs,
  );
}

interface ProblemResponse {
  description: string;
  content: Record<string, { schema: TSchema }>;
}

export const NoContent = Type.Null({ description: 'No content.' });
