import { AccountInputSchema, AccountSchema } from '../../../domain/account.js';
import { contextOf } from '../../plugins/auth.js';
import { bodyProblems } from '../../schemas.js';
import type { App, RouteDeps } from '../../types.js';
import { AccountParams } from './schemas.js';

export function replaceAccount(app: App, { services, clock }: RouteDeps): void {
  app.put(
    '/v1/accounts/:accountId',
    {
      schema: {
        tags: ['accounts'],
        summary: 'Replace an account',
        description:
          'Operators, or an admin of the account. Omitted optional fields return to their defaults.',
        params: AccountParams,
        body: AccountInputSchema,
        response: {
          200: AccountSchema,
          ...bodyProblems('invalid-params', 'forbidden', 'not-found'),
        },
      },
    },
    (request) =>
      services.accounts.replace(contextOf(request, clock), request.params.accountId, request.body),
  );
}
