import { contextOf } from '../../plugins/auth.js';
import { NoContent, problems } from '../../schemas.js';
import type { App, RouteDeps } from '../../types.js';
import { AccountParams } from './schemas.js';

export function deleteAccount(app: App, { services, clock }: RouteDeps): void {
  app.delete(
    '/v1/accounts/:accountId',
    {
      schema: {
        tags: ['accounts'],
        summary: 'Delete an account',
        description:
          'Operators only. Refused with 409 while licenses or subscriptions still reference it.',
        params: AccountParams,
        response: {
          204: NoContent,
          ...problems('invalid-params', 'forbidden', 'not-found', 'in-use'),
        },
      },
    },
    async (request, reply) => {
      await services.accounts.remove(contextOf(request, clock), request.params.accountId);
      return reply.code(204).send(null);
    },
  );
}
