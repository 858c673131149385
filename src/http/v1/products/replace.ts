import { ProductInputSchema, ProductSchema } from '../../../domain/product.js';
import { contextOf } from '../../plugins/auth.js';
import { bodyProblems } from '../../schemas.js';
import type { App, RouteDeps } from '../../types.js';
import { ProductParams } from './schemas.js';

export function replaceProduct(app: App, { services, clock }: RouteDeps): void {
  app.put(
    '/v1/products/:product',
    {
      schema: {
        tags: ['products'],
        summary: 'Replace a product',
        description: 'Operators only. Features and metrics are replaced as a whole.',
        params: ProductParams,
        body: ProductInputSchema,
        response: {
          200: ProductSchema,
          ...bodyProblems('invalid-params', 'forbidden', 'not-found', 'conflict'),
        },
      },
    },
    (request) =>
      services.products.replace(contextOf(request, clock), request.params.product, request.body),
  );
}
