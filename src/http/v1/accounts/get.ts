import { AccountSchema } from '../../../domain/account.js';
import { contextOf } from '../../plugins/auth.js';
import { problems } from '../../schemas.js';
import type { App, RouteDeps } from '../../types.js';
import { AccountParams } from './schemas.js';

export function getAccount(app: App, { services, clock }: RouteDeps): void {
  app.get(
    '/v1/accounts/:accountId',
    {
      schema: {
        tags: ['accounts'],
        summary: 'Get an account',
        params: AccountParams,
        response: { 200: AccountSchema, ...problems('invalid-params', 'not-found') },
      },
    },
    (request) => services.accounts.get(contextOf(request, clock), request.params.accountId),
  );
}
