import type {
  AccountCompliance,
  MetricCompliance,
  OverallStatus,
  ProductCompliance,
} from '../../../domain/compliance.js';
import type { Group, Order } from '../../../domain/group.js';
import type { LicensingStatus } from '../../../services/groups.js';
import type {
  GroupsLicensingInformation,
  LicensedService,
  LicensedUsage,
  LicensingInformation,
  OrganizationStatus,
} from './schemas.js';

/**
 * Entitle's compliance model → BlackBerry's licensing shapes. Pure: the routes fetch, these map.
 */

/**
 * A product's BlackBerry id from its slug: slugs hold only `a-z0-9-`, so `--` stands for a dot
 * (`watchdox--blackberry--com` → `watchdox.blackberry.com`), and an id without a dot is one of
 * BlackBerry's upper-case codes (`emm` → `EMM`, `mdm-controls` → `MDM_CONTROLS`).
 */
export function blackberryId(slug: string): string {
  const id = slug.replaceAll('--', '.');
  return id.includes('.') ? id : id.toUpperCase().replaceAll('-', '_');
}

export function organizationStatus(
  accountId: string,
  status: LicensingStatus,
  overall: OverallStatus,
): OrganizationStatus {
  return {
    orgId: status.orgId ?? accountId,
    overallComplianceStatus: overall,
    connectedToLicensingInfrastructure: status.connectedToLicensingInfrastructure,
    groupLicensing: status.groupLicensing,
    licensingInfrastructureLastContact: status.licensingInfrastructureLastContact,
  };
}

export function licensedService(product: ProductCompliance): LicensedService {
  return {
    id: blackberryId(product.slug),
    name: product.name,
    description: product.description,
    inGracePeriod: product.inGracePeriod,
    ...(product.gracePeriodDaysRemaining === null
      ? {}
      : { gracePeriodDaysRemaining: product.gracePeriodDaysRemaining }),
    compliant: product.compliant,
    activatedFeatures: product.activatedFeatures,
    complianceStateDescription: product.complianceStateDescription,
    complianceStateDescriptionDetails: product.complianceStateDescriptionDetails,
  };
}

/** One entry per product × metric; a product with several metrics names the metric too. */
export function licensedUsage(products: readonly ProductCompliance[]): LicensedUsage[] {
  return products.flatMap((product) => product.metrics.map((metric) => usageOf(product, metric)));
}

function usageOf(product: ProductCompliance, metric: MetricCompliance): LicensedUsage {
  const usedSimLicenses = 0;
  return {
    id: blackberryId(product.slug),
    name: product.metrics.length > 1 ? `${product.name} - ${metric.name}` : product.name,
    totalServerLicenses: metric.entitled,
    availableServerLicenses: metric.available,
    usedServerLicenses: metric.used,
    usedSimLicenses,
    totalLicensesInUse: metric.used + usedSimLicenses,
    trial: metric.trial,
    ...(metric.trial ? { trialDaysRemaining: metric.trialDaysRemaining ?? 0 } : {}),
    licenseInfo: metric.licenseInfo.map((info) => ({
      type: info.type,
      ...(info.expirationDate === null ? {} : { expirationDate: info.expirationDate }),
      aboutToExpire: info.aboutToExpire,
      quantity: info.quantity,
      statusType: info.statusType,
      statusDescription: info.statusDescription,
    })),
    featureUsage: product.featureUsage,
  };
}

/** `description2` lists what the suggested product includes: its feature names, by product id. */
export function licensingInformation(
  accountId: string,
  status: LicensingStatus,
  compliance: AccountCompliance,
  includes: ReadonlyMap<string, readonly string[]>,
): LicensingInformation {
  const { unlicensedUsage } = compliance;
  return {
    organizationStatus: organizationStatus(accountId, status, compliance.overallComplianceStatus),
    messageOfTheDay: status.messageOfTheDay ?? { contentType: 'text/plain', message: '' },
    licensedServices: compliance.products.map(licensedService),
    licensedUsage: licensedUsage(compliance.products),
    unlicensedUsage: {
      consumedTotal: unlicensedUsage.consumedTotal,
      features: unlicensedUsage.features,
      suggestedLicenses: unlicensedUsage.suggestedLicenses.map((product) => ({
        id: blackberryId(product.id),
        name: product.name,
        description1: product.description === '' ? product.name : product.description,
        description2: `Includes: ${(includes.get(product.id) ?? []).join(', ')}`,
      })),
    },
  };
}

/** Orders with something unassigned, showing only the unassigned quantities. */
export function groupsLicensingInformation(
  accountId: string,
  status: LicensingStatus,
  overall: OverallStatus,
  orders: readonly Order[],
  groups: readonly Group[],
  compliance: ReadonlyMap<string, AccountCompliance>,
): GroupsLicensingInformation {
  return {
    organizationStatus: organizationStatus(accountId, status, overall),
    groupLicensing: {
      unassignedLicenses: orders
        .map((order) => ({
          orderId: order.orderId,
          purchaseDetails: order.purchaseDetails
            .filter((detail) => detail.unassigned > 0)
            .map((detail) => ({
              sku: detail.sku,
              description: detail.description,
              quantity: detail.unassigned,
              startDate: detail.startDate,
              endDate: detail.endDate,
            })),
        }))
        .filter((order) => order.purchaseDetails.length > 0),
      groups: groups.map((group) => {
        const products = compliance.get(group.guid)?.products ?? [];
        return {
          guid: group.guid,
          groupName: group.groupName,
          numberOfUsers: group.numberOfUsers,
          licensedServices: products.map(licensedService),
          licensedUsage: licensedUsage(products),
        };
      }),
    },
  };
}
