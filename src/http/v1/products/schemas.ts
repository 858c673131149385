import { Type } from 'typebox';
import { ProductSchema } from '../../../domain/product.js';
import { listOf } from '../../schemas.js';

export const ProductParams = Type.Object(
  {
    product: Type.String({
      pattern: '^([0-9]{1,10}|[a-z0-9][a-z0-9-]{0,63})$',
      description: 'The numeric product id or its slug.',
    }),
  },
  { additionalProperties: false },
);
export const ProductList = listOf(ProductSchema, 'ProductList');
