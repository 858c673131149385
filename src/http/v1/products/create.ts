import { ProductInputSchema, ProductSchema } from '../../../domain/product.js';
import { contextOf } from '../../plugins/auth.js';
import { bodyProblems } from '../../schemas.js';
import type { App, RouteDeps } from '../../types.js';

export function createProduct(app: App, { services, clock }: RouteDeps): void {
  app.post(
    '/v1/products',
    {
      schema: {
        tags: ['products'],
        summary: 'Add a product to the catalog',
        description: 'Operators only. The numeric id is assigned when absent; the slug is unique.',
        body: ProductInputSchema,
        response: {
          201: ProductSchema,
          ...bodyProblems('forbidden', 'conflict'),
        },
      },
    },
    async (request, reply) => {
      const product = await services.products.create(contextOf(request, clock), request.body);
      return reply
        .code(201)
        .header('location', `/v1/products/${String(product.id)}`)
        .send(product);
    },
  );
}
