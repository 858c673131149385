import { AccountPatchSchema, AccountSchema } from '../../../domain/account.js';
import { contextOf } from '../../plugins/auth.js';
import { bodyProblems } from '../../schemas.js';
import type { App, RouteDeps } from '../../types.js';
import { AccountParams } from './schemas.js';

export function updateAccount(app: App, { services, clock }: RouteDeps): void {
  app.patch(
    '/v1/accounts/:accountId',
    {
      schema: {
        tags: ['accounts'],
        summary: 'Update an account',
        description:
          'Operators, or an admin of the account. Only the fields present change; settings merge key by key.',
        params: AccountParams,
        body: AccountPatchSchema,
        response: {
          200: AccountSchema,
          ...bodyProblems('invalid-params', 'forbidden', 'not-found'),
        },
      },
    },
    (request) =>
      services.accounts.update(contextOf(request, clock), request.params.accountId, request.body),
  );
}
