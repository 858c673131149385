import type { App, RouteDeps } from '../../types.js';
import { createProduct } from './create.js';
import { deleteProduct } from './delete.js';
import { getProduct } from './get.js';
import { listProducts } from './list.js';
import { replaceProduct } from './replace.js';
import { updateProduct } from './update.js';

export function productRoutes(app: App, deps: RouteDeps): void {
  createProduct(app, deps);
  listProducts(app, deps);
  getProduct(app, deps);
  replaceProduct(app, deps);
  updateProduct(app, deps);
  deleteProduct(app, deps);
}
