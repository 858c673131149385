import { Type } from 'typebox';
import { VALIDATION_CODES, ValidateRequestSchema } from '../../../domain/license.js';
import { contextOf } from '../../plugins/auth.js';
import { bodyProblems, problems } from '../../schemas.js';
import type { App, RouteDeps } from '../../types.js';
import { ScopeQuerySchema, VerdictSchema } from './schemas.js';

/** "Am I licensed?": the hot paths. */
export function validateRoutes(app: App, { services, clock }: RouteDeps): void {
  app.post(
    '/v1/licenses/validate',
    {
      schema: {
        tags: ['licenses'],
        summary: 'Validate a license key',
        description: `A verdict, not an error: a wrong or unknown key answers 200 with valid=false and a code (${VALIDATION_CODES.join(', ')}; docs/licenses.md gives the order of the checks). Past a policy's validation rate limit: 429 with Retry-After.`,
        body: ValidateRequestSchema,
        response: { 200: VerdictSchema, ...bodyProblems('forbidden', 'not-found', 'rate-limited') },
      },
    },
    (request) => services.validation.validate(contextOf(request, clock), request.body),
  );

  app.get(
    '/v1/is-licensed',
    {
      schema: {
        tags: ['licenses'],
        summary: 'Is a product licensed now?',
        description:
          "For an instance (its activated licenses), an account, or the token's accounts.",
        querystring: ScopeQuerySchema,
        response: {
          200: Type.Object({
            product: Type.Integer(),
            licensed: Type.Boolean(),
            licenses: Type.Array(Type.String()),
          }),
          ...problems('invalid-params', 'forbidden', 'not-found'),
        },
      },
    },
    (request) => services.validation.isLicensed(contextOf(request, clock), request.query),
  );

  app.get(
    '/v1/compliance-level',
    {
      schema: {
        tags: ['licenses'],
        summary: 'Compliance level (0 to 1) of a product and metric',
        description: 'used = 0 → 1; otherwise min(1, entitled / used). entitled -1 is unlimited.',
        querystring: Type.Object(
          { ...ScopeQuerySchema.properties, metric: Type.String({ pattern: '^\\d{1,9}$' }) },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            product: Type.Integer(),
            metric: Type.Integer(),
            entitled: Type.Number(),
            used: Type.Number(),
            level: Type.Number({ minimum: 0, maximum: 1 }),
          }),
          ...problems('invalid-params', 'forbidden', 'not-found'),
        },
      },
    },
    (request) =>
      services.validation.complianceLevel(contextOf(request, clock), {
        ...request.query,
        metric: Number(request.query.metric),
      }),
  );
}
