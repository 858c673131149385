import { ProductReplaceSchema, ProductSchema } from '../../../domain/product.js';
import { contextOf } from '../../plugins/auth.js';
import { problems } from '../../schemas.js';
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
        body: ProductReplaceSchema,
        response: {
          200: ProductSchema,
          ...problems(
            'invalid-fields',
            'invalid-params',
            'malformed-body',
            'forbidden',
            'not-found',
            'conflict',
            'unsupported-media-type',
          ),
        },
      },
    },
    (request) =>
      services.products.replace(contextOf(request, clock), request.params.product, request.body),
  );
}
