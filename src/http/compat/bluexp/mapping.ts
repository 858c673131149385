import type { AccountCompliance } from '../../../domain/compliance.js';
import type { License, LicenseKind } from '../../../domain/license.js';
import type { Product } from '../../../domain/product.js';
import type { BlueXpLicense, BlueXpLicenseType } from './schemas.js';

const KIND_TO_TYPE: Record<LicenseKind, BlueXpLicenseType> = {
  node: 'NODE',
  capacity: 'CAPACITY',
  'data-service': 'DATA_SERVICE',
  feature: 'FEATURE',
};

export function kindOf(type: BlueXpLicenseType): LicenseKind {
  const found = Object.entries(KIND_TO_TYPE).find(([, t]) => t === type);
  return (found?.[0] ?? 'node') as LicenseKind;
}

/** `Data Services`, `data_services` and `DATA_SERVICES` name the same group (or service). */
export function normalizeCode(value: string): string {
  return value.trim().toUpperCase().replaceAll(' ', '_');
}

/** Bytes of one unit of each capacity unit; other units (nodes, users…) are no capacity. */
const BYTES: Readonly<Record<string, number>> = {
  TB: 1e12,
  TiB: 2 ** 40,
  GB: 1e9,
  GiB: 2 ** 30,
};

/** Converts a capacity between units; -1 (unlimited) stays -1; null when either is no capacity. */
export function convert(quantity: number, from: string, to: 'TB' | 'TiB'): number | null {
  const bytes = BYTES[from];
  if (bytes === undefined) return null;
  if (quantity < 0) return -1;
  return round((quantity * bytes) / (BYTES[to] ?? 1));
}

function round(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}

/** The unit a license counts in: its product metric's, or TB when it names no metric. */
export function unitOf(license: License, products: ReadonlyMap<number, Product>): string {
  if (license.productId === null || license.metricId === null) return 'TB';
  const metric = products.get(license.productId)?.metrics.find((m) => m.id === license.metricId);
  return metric?.unit ?? 'TB';
}

/** The product metric a capacity in TB is written to: the first capacity metric of the product. */
export function capacityMetric(product: Product | undefined): { id: number; unit: string } | null {
  const metric = product?.metrics.find((m) => BYTES[m.unit] !== undefined);
  return metric === undefined ? null : { id: metric.id, unit: metric.unit };
}

/** TB into a metric's unit (the inverse of `convert`). */
export function fromTB(tb: number, unit: string): number {
  if (tb < 0) return -1;
  return round((tb * 1e12) / (BYTES[unit] ?? 1e12));
}

/**
 * A license as the wallet shows it. Summary info (expiration and capacity usage) only when
 * asked: usage is that of the license's product metric in the account, shared by every license
 * of the metric, from the compliance summary.
 */
export function toBlueXpLicense(
  license: License,
  products: ReadonlyMap<number, Product>,
  compliance: AccountCompliance | undefined,
): BlueXpLicense {
  const unit = unitOf(license, products);
  const entitled = convert(license.quantity, unit, 'TB');
  const result: BlueXpLicense = {
    resourceId: license.id,
    serialNumber: String(license.serialNumber),
    accountId: license.accountId,
    licenseType: KIND_TO_TYPE[license.kind],
    service: license.service,
    group: license.group,
    description: license.description,
    entitledCapacityTB: entitled,
    expirationDate: license.expiresAt,
  };
  if (compliance === undefined) return result;
  const metric = compliance.products
    .find((p) => p.productId === license.productId)
    ?.metrics.find((m) => m.metricId === license.metricId);
  const used = metric === undefined ? null : convert(metric.used, metric.unit, 'TB');
  const usedTB = entitled === null ? null : (used ?? 0);
  return {
    ...result,
    summaryInfo: {
      status: license.validity.status,
      expired: license.validity.status === 'expired',
      daysToExpiration: license.validity.daysRemaining,
      aboutToExpire: license.validity.aboutToExpire,
      usedCapacityTB: usedTB,
      // Of the whole metric (every source of it), since usage is not attributed to one license.
      capacityUsagePercent:
        entitled === null || metric === undefined || metric.entitled <= 0
          ? null
          : Math.round((metric.used / metric.entitled) * 10000) / 100,
    },
  };
}
