import { contextOf } from '../../plugins/auth.js';
import { NoContent, problems } from '../../schemas.js';
import type { App, RouteDeps } from '../../types.js';
import { ProductParams } from './schemas.js';

export function deleteProduct(app: App, { services, clock }: RouteDeps): void {
  app.delete(
    '/v1/products/:product',
    {
      schema: {
        tags: ['products'],
        summary: 'Remove a product from the catalog',
        description: 'Operators only. Refused with 409 while licenses still reference it.',
        params: ProductParams,
        response: {
          204: NoContent,
          ...problems('invalid-params', 'forbidden', 'not-found', 'in-use'),
        },
      },
    },
    async (request, reply) => {
      await services.products.remove(contextOf(request, clock), request.params.product);
      return reply.code(204).send(null);
    },
  );
}
