import { InvalidFields, NotFound } from '../domain/errors.js';
import {
  checkProductParts,
  type Product,
  type ProductInput,
  type ProductPatch,
} from '../domain/product.js';
import { requireRole } from '../domain/principal.js';
import { parseListQuery, type RawListParams } from '../domain/query.js';
import type { Store, Tx } from '../store/database.js';
import type { Page } from '../store/list.js';
import {
  deleteProduct,
  findProduct,
  insertProduct,
  listProducts,
  productsCollection,
  replaceProduct,
} from '../store/products.repository.js';
import { recordChange } from './audit.js';
import type { ProductCache } from './product-cache.js';
import type { ServiceContext } from './context.js';

/** A product is named by its numeric id or its slug. */
export function productRef(idOrSlug: string): number | string {
  return /^\d{1,10}$/.test(idOrSlug) ? Number(idOrSlug) : idOrSlug;
}

type ProductWrite = Pick<
  Product,
  'slug' | 'name' | 'group' | 'description' | 'features' | 'metrics'
>;

/**
 * The catalog: every token may read it, only operators change it. `catalogChanged` runs after a
 * product is changed or removed (validation's product cache listens).
 */
export function productService(store: Store, catalog?: ProductCache) {
  const catalogChanged = () => catalog?.clear();
  async function createIn(tx: Tx, ctx: ServiceContext, input: ProductInput): Promise<Product> {
    const fields = checked(normalize(input));
    const now = ctx.clock.now().toISOString();
    const product = await insertProduct(tx, {
      ...fields,
      id: input.id,
      createdAt: now,
      updatedAt: now,
    });
    await recordChange(tx, ctx, {
      type: 'product.created',
      accountId: null,
      resourceType: 'product',
      resourceId: String(product.id),
      after: product,
    });
    return product;
  }

  return {
    /** Adds a product to the catalog (operators). */
    create(ctx: ServiceContext, input: ProductInput): Promise<Product> {
      requireRole(ctx.principal, ['operator']);
      return store.transaction('product.create', (tx) => createIn(tx, ctx, input));
    },

    /**
     * Adds a product inside another use case's transaction (an upstream fetch mirroring the
     * vendor's catalog entry); that use case has checked who may do it.
     */
    createWithin: createIn,

    list(_ctx: ServiceContext, params: RawListParams): Promise<Page<Product>> {
      const query = parseListQuery(productsCollection, params);
      return store.read((db) => listProducts(db, query));
    },

    /**
     * A product by id as validation reads it: from the catalog cache (a change made by another
     * process is seen within its TTL). For the facades that describe licenses on every call.
     */
    async cached(_ctx: ServiceContext, id: number): Promise<Product> {
      const product = await store.read((db) =>
        catalog === undefined ? findProduct(db, id) : catalog.get(db, id),
      );
      if (product === undefined) throw new NotFound('Product', String(id));
      return product;
    },

    async get(_ctx: ServiceContext, idOrSlug: string): Promise<Product> {
      const product = await store.read((db) => findProduct(db, productRef(idOrSlug)));
      if (product === undefined) throw new NotFound('Product', idOrSlug);
      return product;
    },

    replace(ctx: ServiceContext, idOrSlug: string, input: ProductInput): Promise<Product> {
      return change(ctx, idOrSlug, 'product.replace', (current) => {
        if (input.id !== undefined && input.id !== current.id) {
          throw new InvalidFields([
            { name: 'id', reason: `must match the product in the path (${String(current.id)})` },
          ]);
        }
        return normalize(input);
      });
    },

    update(ctx: ServiceContext, idOrSlug: string, patch: ProductPatch): Promise<Product> {
      return change(ctx, idOrSlug, 'product.update', (current) =>
        normalize({
          slug: patch.slug ?? current.slug,
          name: patch.name ?? current.name,
          group: patch.group === undefined ? current.group : patch.group,
          description: patch.description ?? current.description,
          features: patch.features ?? current.features,
          metrics: patch.metrics ?? current.metrics,
        }),
      );
    },

    async remove(ctx: ServiceContext, idOrSlug: string): Promise<void> {
      requireRole(ctx.principal, ['operator']);
      await store.transaction('product.delete', async (tx) => {
        const current = await mustFind(tx, idOrSlug);
        await deleteProduct(tx, current.id);
        await recordChange(tx, ctx, {
          type: 'product.deleted',
          accountId: null,
          resourceType: 'product',
          resourceId: String(current.id),
          before: current,
        });
      });
      catalogChanged();
    },
  };

  async function change(
    ctx: ServiceContext,
    idOrSlug: string,
    useCase: string,
    apply: (current: Product) => ProductWrite,
  ): Promise<Product> {
    requireRole(ctx.principal, ['operator']);
    const changed = await store.transaction(useCase, async (tx) => {
      const current = await mustFind(tx, idOrSlug);
      const next: Product = {
        ...checked(apply(current)),
        id: current.id,
        createdAt: current.createdAt,
        updatedAt: ctx.clock.now().toISOString(),
      };
      await replaceProduct(tx, next);
      await recordChange(tx, ctx, {
        type: 'product.updated',
        accountId: null,
        resourceType: 'product',
        resourceId: String(current.id),
        before: current,
        after: next,
      });
      return next;
    });
    catalogChanged();
    return changed;
  }
}

function normalize(input: Omit<ProductInput, 'id'>): ProductWrite {
  return {
    slug: input.slug,
    name: input.name,
    group: input.group ?? null,
    description: input.description ?? '',
    features: (input.features ?? []).map((feature) => ({
      id: feature.id,
      name: feature.name,
      description: feature.description ?? '',
    })),
    metrics: input.metrics ?? [],
  };
}

function checked(product: ProductWrite): ProductWrite {
  const issues = checkProductParts(product.features, product.metrics);
  if (issues.length > 0) throw new InvalidFields(issues);
  return product;
}

async function mustFind(tx: Tx, idOrSlug: string): Promise<Product> {
  const product = await findProduct(tx, productRef(idOrSlug));
  if (product === undefined) throw new NotFound('Product', idOrSlug);
  return product;
}

export type ProductService = ReturnType<typeof productService>;
