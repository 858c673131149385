import { ProductPatchSchema, ProductSchema } from '../../../domain/product.js';
import { contextOf } from '../../plugins/auth.js';
import { bodyProblems } from '../../schemas.js';
import type { App, RouteDeps } from '../../types.js';
import { ProductParams } from './schemas.js';

export function updateProduct(app: App, { services, clock }: RouteDeps): void {
  app.patch(
    '/v1/products/:product',
    {
      schema: {
        tags: ['products'],
        summary: 'Update a product',
        description:
          'Operators only. Only the fields present change; a list given replaces the whole list.',
        params: ProductParams,
        body: ProductPatchSchema,
        response: {
          200: ProductSchema,
          ...bodyProblems('invalid-params', 'forbidden', 'not-found', 'conflict'),
        },
      },
    },
    (request) =>
      services.products.update(contextOf(request, clock), request.params.product, request.body),
  );
}
