import { contextOf } from '../../plugins/auth.js';
import { ListQuerySchema, problems } from '../../schemas.js';
import type { App, RouteDeps } from '../../types.js';
import { listBody } from '../list.js';
import { ProductList } from './schemas.js';

export function listProducts(app: App, { services, clock }: RouteDeps): void {
  app.get(
    '/v1/products',
    {
      schema: {
        tags: ['products'],
        summary: 'List the catalog',
        description: 'Every token may read the catalog.',
        querystring: ListQuerySchema,
        response: { 200: ProductList, ...problems('invalid-params') },
      },
    },
    async (request) => {
      const page = await services.products.list(contextOf(request, clock), request.query);
      return listBody(page, request.query.include);
    },
  );
}
