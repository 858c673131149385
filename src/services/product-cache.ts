import { LRUCache } from 'lru-cache';
import type { Product } from '../domain/product.js';
import type { Executor } from '../store/database.js';
import { findProduct } from '../store/products.repository.js';

/** How long another process's catalog change may go unseen by validation here. */
export const PRODUCT_CACHE_TTL_MS = 5000;

/**
 * The catalog as validation reads it, on every call: products change rarely and are read
 * constantly, so they are kept for a few seconds. A change made through this process's services
 * clears the cache at once; a change made by another process is seen within the TTL.
 */
export function productCache(options: { ttlMs?: number; max?: number } = {}) {
  const products = new LRUCache<number, Product>({
    max: options.max ?? 10_000,
    ttl: options.ttlMs ?? PRODUCT_CACHE_TTL_MS,
  });
  return {
    async get(db: Executor, id: number): Promise<Product | undefined> {
      const cached = products.get(id);
      if (cached !== undefined) return cached;
      const product = await findProduct(db, id);
      if (product !== undefined) products.set(id, product);
      return product;
    },
    clear(): void {
      products.clear();
    },
  };
}

export type ProductCache = ReturnType<typeof productCache>;
