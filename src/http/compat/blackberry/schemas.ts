import { Type, type Static } from 'typebox';
import { OVERALL_STATUSES } from '../../../domain/compliance.js';
import { LICENSE_TERMS } from '../../../domain/license.js';

/**
 * BlackBerry UEM licensing shapes (REST API 12.8 / 12.9: "Licensing Information" and "Groups
 * Licensing Information"), field for field as the document's examples. Fields the examples show
 * only sometimes are optional: `gracePeriodDaysRemaining` (in a grace period), `trialDaysRemaining`
 * (trial), `expirationDate` (a term that ends).
 */
export const LICENSING_MEDIA_TYPE = 'application/vnd.blackberry.licensing-v1+json';

const DateTime = Type.String({ format: 'date-time' });

export const TenantParams = Type.Object(
  {
    tenantGuid: Type.String({
      pattern: '^[A-Za-z0-9._-]{1,64}$',
      description: 'The Entitle account id.',
      examples: ['SRP00000'],
    }),
  },
  { additionalProperties: false },
);

export const OrganizationStatusSchema = Type.Object({
  orgId: Type.String({ examples: ['999000000'] }),
  overallComplianceStatus: Type.Enum(OVERALL_STATUSES),
  connectedToLicensingInfrastructure: Type.Boolean(),
  groupLicensing: Type.Boolean(),
  licensingInfrastructureLastContact: DateTime,
});
export type OrganizationStatus = Static<typeof OrganizationStatusSchema>;

export const LicensedServiceSchema = Type.Object({
  id: Type.String({ examples: ['watchdox.blackberry.com'] }),
  name: Type.String(),
  description: Type.String(),
  inGracePeriod: Type.Boolean(),
  gracePeriodDaysRemaining: Type.Optional(Type.Integer()),
  compliant: Type.Boolean(),
  activatedFeatures: Type.Array(Type.String()),
  complianceStateDescription: Type.String(),
  complianceStateDescriptionDetails: Type.String(),
});
export type LicensedService = Static<typeof LicensedServiceSchema>;

export const LicenseInfoSchema = Type.Object({
  type: Type.Enum(LICENSE_TERMS),
  expirationDate: Type.Optional(DateTime),
  aboutToExpire: Type.Boolean(),
  quantity: Type.Number({ description: '-1 is unlimited.' }),
  statusType: Type.Enum(['INFO', 'WARNING']),
  statusDescription: Type.String(),
});

export const LicensedUsageSchema = Type.Object({
  id: Type.String({ examples: ['gsc.license.blackberry.com'] }),
  name: Type.String(),
  totalServerLicenses: Type.Number({ description: '-1 is unlimited.' }),
  availableServerLicenses: Type.Number({ description: '-1 is unlimited.' }),
  usedServerLicenses: Type.Number(),
  usedSimLicenses: Type.Number({ description: 'Always 0: Entitle has no SIM-based licensing.' }),
  totalLicensesInUse: Type.Number(),
  trial: Type.Boolean(),
  trialDaysRemaining: Type.Optional(Type.Integer()),
  licenseInfo: Type.Array(LicenseInfoSchema),
  featureUsage: Type.Array(Type.Object({ id: Type.String(), consumed: Type.Number() })),
});
export type LicensedUsage = Static<typeof LicensedUsageSchema>;

const Described = Type.Object({
  id: Type.String(),
  name: Type.String(),
  description: Type.String(),
});

export const LicensingInformationSchema = Type.Object({
  organizationStatus: OrganizationStatusSchema,
  messageOfTheDay: Type.Object({
    contentType: Type.String({ examples: ['text/html'] }),
    message: Type.String({ description: 'Base64.' }),
  }),
  licensedServices: Type.Array(LicensedServiceSchema),
  licensedUsage: Type.Array(LicensedUsageSchema),
  unlicensedUsage: Type.Object({
    consumedTotal: Type.Number(),
    features: Type.Array(Described),
    suggestedLicenses: Type.Array(
      Type.Object({
        id: Type.String(),
        name: Type.String(),
        description1: Type.String(),
        description2: Type.String(),
      }),
    ),
  }),
});
export type LicensingInformation = Static<typeof LicensingInformationSchema>;

export const GroupsLicensingInformationSchema = Type.Object({
  organizationStatus: OrganizationStatusSchema,
  groupLicensing: Type.Object({
    unassignedLicenses: Type.Array(
      Type.Object({
        orderId: Type.String({ examples: ['HP_17:606'] }),
        purchaseDetails: Type.Array(
          Type.Object({
            sku: Type.String(),
            description: Type.String(),
            quantity: Type.Number(),
            startDate: DateTime,
            endDate: DateTime,
          }),
        ),
      }),
    ),
    groups: Type.Array(
      Type.Object({
        guid: Type.String({ format: 'uuid' }),
        groupName: Type.String(),
        numberOfUsers: Type.Integer(),
        licensedServices: Type.Array(LicensedServiceSchema),
        licensedUsage: Type.Array(LicensedUsageSchema),
      }),
    ),
  }),
});
export type GroupsLicensingInformation = Static<typeof GroupsLicensingInformationSchema>;

/** Entitle's error body for this facade (the document shows none): status, code, message. */
export const BlackBerryErrorSchema = Type.Object({
  status: Type.Integer(),
  code: Type.String({ examples: ['NOT_ACCEPTABLE'] }),
  message: Type.String(),
  requestId: Type.String(),
});
export type BlackBerryError = Static<typeof BlackBerryErrorSchema>;
