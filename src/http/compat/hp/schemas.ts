import { Type, type Static } from 'typebox';
import type { License } from '../../../domain/license.js';
import type { Product } from '../../../domain/product.js';

/**
 * HP VAN SDN controller licensing (reference 003): one license as the controller describes it.
 * Field names and types are the document's examples; dates are ISO-8601 with milliseconds.
 */
export const HpLicenseSchema = Type.Object(
  {
    install_id: Type.Integer({ description: 'Install id of the controller (the instance).' }),
    serial_no: Type.Integer({ description: "The license's serial number." }),
    license_metric: Type.String({ description: "Name of the license's metric." }),
    product: Type.String({ description: "Name of the license's product." }),
    metric_qty: Type.Number({ description: 'Quantity in the metric unit; -1 is unlimited.' }),
    license_type: Type.Enum(['PERPETUAL', 'SUBSCRIPTION', 'TRIAL', 'DEMO']),
    base_license: Type.Boolean(),
    creation_date: Type.String({ format: 'date-time' }),
    activated_date: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
    expiry_date: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
    license_status: Type.Enum(['ACTIVE', 'INACTIVE', 'EXPIRED', 'INVALID', 'REVOKED', 'SUSPENDED']),
    deactivated_key: Type.Union([Type.String(), Type.Null()]),
  },
  { additionalProperties: false },
);
export type HpLicense = Static<typeof HpLicenseSchema>;

export const HpLicenseListSchema = Type.Object(
  { licenses: Type.Array(HpLicenseSchema) },
  { additionalProperties: false },
);
export const HpLicenseEnvelopeSchema = Type.Object(
  { license: HpLicenseSchema },
  { additionalProperties: false },
);

/** The document shows no error body: a small JSON object, like the controller's other REST APIs. */
export const HpErrorSchema = Type.Object(
  { error: Type.String(), message: Type.String() },
  { additionalProperties: false },
);
export type HpError = Static<typeof HpErrorSchema>;

/** `?key=` with or without the surrounding double quotes of the document's example. */
export const KeyQuerySchema = Type.Object({ key: Type.Optional(Type.String({ minLength: 1 })) });

/** Not a pattern: a serial that is no number names no license (404, not 400). */
export const SerialParamsSchema = Type.Object({ serial_no: Type.String() });

export const ProductQuerySchema = Type.Object({
  product_id: Type.String({ pattern: '^[0-9]{1,9}$' }),
});

export const ComplianceQuerySchema = Type.Object({
  product_id: Type.String({ pattern: '^[0-9]{1,9}$' }),
  metric_id: Type.String({ pattern: '^[0-9]{1,9}$' }),
});

/** A raw string body: text/plain, form-encoded (curl -d) or a JSON string. */
export const RawStringBodySchema = Type.String({ minLength: 1, maxLength: 1024 });

/** `{"action": "deactivate"}`, or the bare action as on `/{serial_no}/action`. */
export const ActionBodySchema = Type.Union([
  Type.Object({ action: Type.String({ minLength: 1, maxLength: 64 }) }),
  RawStringBodySchema,
]);

/** Strips one pair of surrounding double quotes and whitespace: `"KEY"` and `KEY` are the same. */
export function unquoted(raw: string): string {
  const trimmed = raw.trim();
  return /^".*"$/s.test(trimmed) ? trimmed.slice(1, -1).trim() : trimmed;
}

/** Always with milliseconds, as the controller prints them (`2013-06-25T23:51:09.826Z`). */
function isoMillis(at: string | null): string | null {
  return at === null ? null : new Date(at).toISOString();
}

/** A license as the controller `installId` reports it; product and metric give their names. */
export function toHpLicense(
  license: License,
  installId: number,
  product: Product | undefined,
): HpLicense {
  const metric = product?.metrics.find((m) => m.id === license.metricId);
  return {
    install_id: installId,
    serial_no: license.serialNumber,
    license_metric: metric?.name ?? '',
    product: product?.name ?? '',
    metric_qty: license.quantity,
    license_type: license.term,
    base_license: license.baseLicense,
    creation_date: new Date(license.createdAt).toISOString(),
    activated_date: isoMillis(license.activatedAt),
    expiry_date: isoMillis(license.expiresAt),
    license_status: license.validity.status.toUpperCase() as HpLicense['license_status'],
    deactivated_key: license.deactivatedKey,
  };
}
