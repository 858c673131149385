import { ProductSchema } from '../../../domain/product.js';
import { contextOf } from '../../plugins/auth.js';
import { problems } from '../../schemas.js';
import type { App, RouteDeps } from '../../types.js';
import { ProductParams } from './schemas.js';

export function getProduct(app: App, { services, clock }: RouteDeps): void {
  app.get(
    '/v1/products/:product',
    {
      schema: {
        tags: ['products'],
        summary: 'Get a product by id or slug',
        params: ProductParams,
        response: { 200: ProductSchema, ...problems('invalid-params', 'not-found') },
      },
    },
    (request) => services.products.get(contextOf(request, clock), request.params.product),
  );
}
