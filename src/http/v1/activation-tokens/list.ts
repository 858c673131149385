import { contextOf } from '../../plugins/auth.js';
import { ListQuerySchema, problems } from '../../schemas.js';
import type { App, RouteDeps } from '../../types.js';
import { listBody } from '../list.js';
import { ActivationTokenList } from './schemas.js';

export function listActivationTokens(app: App, { services, clock }: RouteDeps): void {
  app.get(
    '/v1/activation-tokens',
    {
      schema: {
        tags: ['activation-tokens'],
        summary: 'List activation tokens',
        description:
          'Operators see every token; admins and viewers the tokens restricted to their accounts. Filter on id, accountId, orderId, hint, createdAt, expiresAt, redeemedAt, revokedAt.',
        querystring: ListQuerySchema,
        response: { 200: ActivationTokenList, ...problems('invalid-params', 'forbidden') },
      },
    },
    async (request) =>
      listBody(
        await services.activationTokens.list(contextOf(request, clock), request.query),
        request.query.include,
      ),
  );
}
