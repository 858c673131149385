import { contextOf } from '../../plugins/auth.js';
import { ListQuerySchema, problems } from '../../schemas.js';
import type { App, RouteDeps } from '../../types.js';
import { listBody } from '../list.js';
import { AccountList } from './schemas.js';

export function listAccounts(app: App, { services, clock }: RouteDeps): void {
  app.get(
    '/v1/accounts',
    {
      schema: {
        tags: ['accounts'],
        summary: 'List accounts',
        description: 'Operators see every account; other tokens see only the accounts they name.',
        querystring: ListQuerySchema,
        response: { 200: AccountList, ...problems('invalid-params') },
      },
    },
    async (request) => {
      const page = await services.accounts.list(contextOf(request, clock), request.query);
      return listBody(page, request.query.include);
    },
  );
}
