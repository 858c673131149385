import { Type } from 'typebox';
import { TokenRequestSchema } from '../../../domain/token.js';
import { contextOf } from '../../plugins/auth.js';
import { bodyProblems } from '../../schemas.js';
import type { App, RouteDeps } from '../../types.js';

const IssuedTokenSchema = Type.Object({
  id: Type.String({ description: 'The token id (jti).' }),
  token: Type.String({ description: 'The bearer token. Shown once: only its hash is stored.' }),
  expiresAt: Type.String({ format: 'date-time' }),
});

export function createToken(app: App, { services, clock }: RouteDeps): void {
  app.post(
    '/v1/tokens',
    {
      schema: {
        tags: ['tokens'],
        summary: 'Mint a bearer token',
        description: 'Operators only. The same as `entitle token create`.',
        body: TokenRequestSchema,
        response: {
          201: IssuedTokenSchema,
          ...bodyProblems('forbidden', 'conflict'),
        },
      },
    },
    async (request, reply) => {
      const issued = await services.tokens.issue(contextOf(request, clock), request.body);
      return reply.code(201).header('cache-control', 'no-store').send(issued);
    },
  );
}
