import { Type, type Static } from 'typebox';
import type { FieldIssue } from './errors.js';

/** Units a product metric is counted in. Compliance compares quantities of the same unit only. */
export const METRIC_UNITS = [
  'nodes',
  'instances',
  'users',
  'devices',
  'seats',
  'cores',
  'apps',
  'namespaces',
  'flows/min',
  'TB',
  'TiB',
  'GB',
  'GiB',
  'units',
] as const;

export const PRODUCT_SLUG_PATTERN = '^[a-z0-9][a-z0-9-]{0,63}$';

export const ProductFeatureSchema = Type.Object(
  {
    id: Type.String({
      pattern: '^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$',
      description: 'Feature id, e.g. MDM_CONTROLS or enterprise.watchdox.blackberry.com.',
    }),
    name: Type.String({ minLength: 1, maxLength: 200 }),
    description: Type.String({ maxLength: 2000 }),
  },
  { additionalProperties: false },
);
export type ProductFeature = Static<typeof ProductFeatureSchema>;

export const ProductMetricSchema = Type.Object(
  {
    id: Type.Integer({ minimum: 1, maximum: 1_000_000, description: "HP's metric_id." }),
    name: Type.String({ minLength: 1, maxLength: 200 }),
    unit: Type.Enum(METRIC_UNITS, { description: 'What the metric counts.' }),
  },
  { additionalProperties: false },
);
export type ProductMetric = Static<typeof ProductMetricSchema>;

const ProductIdSchema = Type.Integer({
  minimum: 1,
  maximum: 2_147_483_647,
  description: "Numeric id: HP's product_id.",
});

export const ProductSchema = Type.Object(
  {
    id: ProductIdSchema,
    slug: Type.String({ pattern: PRODUCT_SLUG_PATTERN, examples: ['cvo-capacity'] }),
    name: Type.String({ minLength: 1, maxLength: 200 }),
    group: Type.Union([Type.String({ pattern: '^[A-Z0-9_]{1,64}$' }), Type.Null()], {
      description: 'License group, e.g. CVO or DATA_SERVICES (BlueXP).',
    }),
    description: Type.String({ maxLength: 2000 }),
    features: Type.Array(ProductFeatureSchema, { maxItems: 500 }),
    metrics: Type.Array(ProductMetricSchema, { maxItems: 100 }),
    createdAt: Type.String({ format: 'date-time' }),
    updatedAt: Type.String({ format: 'date-time' }),
  },
  { additionalProperties: false },
);
export type Product = Static<typeof ProductSchema>;

const writable = {
  slug: ProductSchema.properties.slug,
  name: ProductSchema.properties.name,
  group: Type.Optional(ProductSchema.properties.group),
  description: Type.Optional(ProductSchema.properties.description),
  features: Type.Optional(
    Type.Array(
      Type.Object(
        {
          id: ProductFeatureSchema.properties.id,
          name: ProductFeatureSchema.properties.name,
          description: Type.Optional(ProductFeatureSchema.properties.description),
        },
        { additionalProperties: false },
      ),
      { maxItems: 500 },
    ),
  ),
  metrics: Type.Optional(ProductSchema.properties.metrics),
};

/** What a caller writes: POST creates (the id is assigned when absent), PUT replaces the whole product. */
export const ProductInputSchema = Type.Object(
  { id: Type.Optional(ProductIdSchema), ...writable },
  { additionalProperties: false },
);
export type ProductInput = Static<typeof ProductInputSchema>;

export const ProductPatchSchema = Type.Object(
  {
    slug: Type.Optional(writable.slug),
    name: Type.Optional(writable.name),
    group: writable.group,
    description: writable.description,
    features: writable.features,
    metrics: writable.metrics,
  },
  { additionalProperties: false, minProperties: 1 },
);
export type ProductPatch = Static<typeof ProductPatchSchema>;

/** Rules a JSON schema cannot say: feature and metric ids are unique within a product. */
export function checkProductParts(
  features: readonly { id: string }[],
  metrics: readonly { id: number }[],
): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const seenFeatures = new Set<string>();
  features.forEach((feature, i) => {
    if (seenFeatures.has(feature.id)) {
      issues.push({
        name: `features.${String(i)}.id`,
        reason: `duplicate feature id '${feature.id}'`,
      });
    }
    seenFeatures.add(feature.id);
  });
  const seenMetrics = new Set<number>();
  metrics.forEach((metric, i) => {
    if (seenMetrics.has(metric.id)) {
      issues.push({
        name: `metrics.${String(i)}.id`,
        reason: `duplicate metric id ${String(metric.id)}`,
      });
    }
    seenMetrics.add(metric.id);
  });
  return issues;
}
