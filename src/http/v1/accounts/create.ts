import { AccountInputSchema, AccountSchema } from '../../../domain/account.js';
import { contextOf } from '../../plugins/auth.js';
import { bodyProblems } from '../../schemas.js';
import type { App, RouteDeps } from '../../types.js';

export function createAccount(app: App, { services, clock }: RouteDeps): void {
  app.post(
    '/v1/accounts',
    {
      schema: {
        tags: ['accounts'],
        summary: 'Create an account',
        description: 'Operators only. The id is generated when absent.',
        body: AccountInputSchema,
        response: {
          201: AccountSchema,
          ...bodyProblems('forbidden', 'conflict'),
        },
      },
    },
    async (request, reply) => {
      const account = await services.accounts.create(contextOf(request, clock), request.body);
      return reply.code(201).header('location', `/v1/accounts/${account.id}`).send(account);
    },
  );
}
