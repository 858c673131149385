import { contextOf } from '../../plugins/auth.js';
import { ListQuerySchema, problems } from '../../schemas.js';
import type { App, RouteDeps } from '../../types.js';
import { listBody } from '../list.js';
import { UserList } from './schemas.js';

export function listUsers(app: App, { services, clock }: RouteDeps): void {
  app.get(
    '/v1/users',
    {
      schema: {
        tags: ['users'],
        summary: 'List local users',
        description: 'Operators only.',
        querystring: ListQuerySchema,
        response: { 200: UserList, ...problems('invalid-params', 'forbidden') },
      },
    },
    async (request) => {
      const page = await services.users.list(contextOf(request, clock), request.query);
      return listBody(page, request.query.include);
    },
  );
}
