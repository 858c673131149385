import { Conflict, InUse } from '../domain/errors.js';
import type { Product, ProductFeature, ProductMetric } from '../domain/product.js';
import type { CollectionSpec, ListQuery } from '../domain/query.js';
import type { Executor } from './database.js';
import { advanceSerial } from './dialect.js';
import { isForeignKeyViolation, isUniqueViolation, violatesUniqueOn } from './errors.js';
import { listPage, type Page } from './list.js';
import type { ProductRow } from './schema.js';

export const productsCollection: CollectionSpec = {
  name: 'products',
  fields: {
    id: { type: 'integer', column: 'id' },
    slug: { type: 'string', column: 'slug' },
    name: { type: 'string', column: 'name' },
    group: { type: 'string', column: 'group_name', nullable: true },
    createdAt: { type: 'timestamp', column: 'created_at' },
    updatedAt: { type: 'timestamp', column: 'updated_at' },
  },
  key: 'id',
  defaultOrder: [{ field: 'id', direction: 'asc' }],
  includable: [
    'id',
    'slug',
    'name',
    'group',
    'description',
    'features',
    'metrics',
    'createdAt',
    'updatedAt',
  ],
  defaultLimit: 100,
  maxLimit: 1000,
};

/** A product as written: the id is absent when the store assigns one. */
export type ProductDraft = Omit<Product, 'id'> & { id?: number | undefined };

export async function findProduct(
  db: Executor,
  idOrSlug: number | string,
): Promise<Product | undefined> {
  const row = await db
    .selectFrom('products')
    .selectAll()
    .where(typeof idOrSlug === 'number' ? 'id' : 'slug', '=', idOrSlug)
    .executeTakeFirst();
  if (row === undefined) return undefined;
  const [product] = await withParts(db, [row]);
  return product;
}

export async function listProducts(db: Executor, query: ListQuery): Promise<Page<Product>> {
  const page = await listPage(db.selectFrom('products').selectAll(), productsCollection, query);
  return { ...page, rows: await withParts(db, page.rows) };
}

/** The whole catalog (compliance suggests products from it). Catalogs are small. */
export async function allProducts(db: Executor): Promise<Product[]> {
  return withParts(db, await db.selectFrom('products').selectAll().orderBy('id').execute());
}

export async function insertProduct(db: Executor, draft: ProductDraft): Promise<Product> {
  try {
    const inserted = await db
      .insertInto('products')
      .values({ ...(draft.id === undefined ? {} : { id: draft.id }), ...productColumns(draft) })
      .returning('id')
      .executeTakeFirstOrThrow();
    if (draft.id !== undefined) await advanceSerial(db, 'products', 'id');
    await writeParts(db, inserted.id, draft);
    return { ...draft, id: inserted.id };
  } catch (error) {
    if (isUniqueViolation(error)) throw productConflict(draft, error);
    throw error;
  }
}

export async function replaceProduct(db: Executor, product: Product): Promise<void> {
  try {
    await db
      .updateTable('products')
      .set(productColumns(product))
      .where('id', '=', product.id)
      .execute();
  } catch (error) {
    if (isUniqueViolation(error)) throw productConflict(product, error);
    throw error;
  }
  await db.deleteFrom('product_features').where('product_id', '=', product.id).execute();
  await db.deleteFrom('product_metrics').where('product_id', '=', product.id).execute();
  await writeParts(db, product.id, product);
}

export async function deleteProduct(db: Executor, id: number): Promise<void> {
  try {
    await db.deleteFrom('products').where('id', '=', id).execute();
  } catch (error) {
    if (isForeignKeyViolation(error)) throw new InUse('Product', String(id), 'licenses');
    throw error;
  }
}

function productColumns(product: ProductDraft) {
  return {
    slug: product.slug,
    name: product.name,
    group_name: product.group,
    description: product.description,
    created_at: product.createdAt,
    updated_at: product.updatedAt,
  };
}

function productConflict(product: ProductDraft, error: unknown): Conflict {
  if (violatesUniqueOn(error, 'products', 'slug')) {
    return new Conflict(`A product with slug '${product.slug}' already exists.`, [
      { name: 'slug', reason: 'another product has this slug' },
    ]);
  }
  return new Conflict(`Product ${String(product.id)} already exists.`, [
    { name: 'id', reason: 'another product has this id' },
  ]);
}

async function writeParts(db: Executor, productId: number, product: ProductDraft): Promise<void> {
  if (product.features.length > 0) {
    await db
      .insertInto('product_features')
      .values(
        product.features.map((feature, position) => ({
          product_id: productId,
          feature_id: feature.id,
          name: feature.name,
          description: feature.description,
          position,
        })),
      )
      .execute();
  }
  if (product.metrics.length > 0) {
    await db
      .insertInto('product_metrics')
      .values(
        product.metrics.map((metric) => ({
          product_id: productId,
          metric_id: metric.id,
          name: metric.name,
          unit: metric.unit,
        })),
      )
      .execute();
  }
}

/** Loads features and metrics of a page of products in two queries, not one per product. */
async function withParts(db: Executor, rows: ProductRow[]): Promise<Product[]> {
  if (rows.length === 0) return [];
  const ids = rows.map((row) => row.id);
  const [features, metrics] = await Promise.all([
    db
      .selectFrom('product_features')
      .selectAll()
      .where('product_id', 'in', ids)
      .orderBy('product_id')
      .orderBy('position')
      .execute(),
    db
      .selectFrom('product_metrics')
      .selectAll()
      .where('product_id', 'in', ids)
      .orderBy('product_id')
      .orderBy('metric_id')
      .execute(),
  ]);
  const featuresOf = new Map<number, ProductFeature[]>();
  for (const f of features) {
    const list = featuresOf.get(f.product_id) ?? [];
    list.push({ id: f.feature_id, name: f.name, description: f.description });
    featuresOf.set(f.product_id, list);
  }
  const metricsOf = new Map<number, ProductMetric[]>();
  for (const m of metrics) {
    const list = metricsOf.get(m.product_id) ?? [];
    list.push({ id: m.metric_id, name: m.name, unit: m.unit as ProductMetric['unit'] });
    metricsOf.set(m.product_id, list);
  }
  return rows.map((row) => ({
    id: row.id,
    slug: row.slug,
    name: row.name,
    group: row.group_name,
    description: row.description,
    features: featuresOf.get(row.id) ?? [],
    metrics: metricsOf.get(row.id) ?? [],
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  }));
}
