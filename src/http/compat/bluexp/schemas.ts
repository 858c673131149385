import { Type, type Static } from 'typebox';
import { AccountId } from '../../../domain/account.js';

/**
 * BlueXP digital wallet shapes. The document lists the fields a license and a subscription carry
 * but prints no JSON body, so these names are Entitle's design (docs/compat/bluexp.md).
 */

const Code = Type.String({ pattern: '^[A-Za-z0-9_ ]{1,64}$' });
const DateTime = Type.String({ format: 'date-time' });
const NullableDateTime = Type.Union([DateTime, Type.Null()]);
// Bounded so that converting to the metric's unit (bytes in between) stays a finite number.
const Capacity = Type.Union([Type.Literal(-1), Type.Number({ minimum: 0, maximum: 1e9 })], {
  description: 'In TB, at most 1e9 (a zettabyte); -1 is unlimited.',
});

/** License types of the wallet: node, capacity package, data service (and plain features). */
export const BLUEXP_LICENSE_TYPES = ['NODE', 'CAPACITY', 'DATA_SERVICE', 'FEATURE'] as const;
export type BlueXpLicenseType = (typeof BLUEXP_LICENSE_TYPES)[number];

export const SummaryInfoSchema = Type.Object(
  {
    status: Type.String({ description: 'active, inactive, expired, revoked, suspended, invalid' }),
    expired: Type.Boolean(),
    daysToExpiration: Type.Union([Type.Integer(), Type.Null()]),
    aboutToExpire: Type.Boolean(),
    usedCapacityTB: Type.Union([Type.Number(), Type.Null()]),
    capacityUsagePercent: Type.Union([Type.Number(), Type.Null()]),
  },
  { additionalProperties: false },
);

export const BlueXpLicenseSchema = Type.Object(
  {
    resourceId: Type.String({
      examples: ['license-481000495-6897991f-f83f-41c1-b151-eb62073e57be'],
    }),
    serialNumber: Type.String({ examples: ['481000485'] }),
    accountId: Type.String(),
    licenseType: Type.Enum(BLUEXP_LICENSE_TYPES),
    service: Type.Union([Type.String(), Type.Null()], { examples: ['BACKUP'] }),
    group: Type.Union([Type.String(), Type.Null()], { examples: ['DATA_SERVICES', 'CVO'] }),
    description: Type.String(),
    entitledCapacityTB: Type.Union([Type.Number(), Type.Null()]),
    expirationDate: NullableDateTime,
    summaryInfo: Type.Optional(SummaryInfoSchema),
  },
  { additionalProperties: false },
);
export type BlueXpLicense = Static<typeof BlueXpLicenseSchema>;

export const BlueXpLicenseListSchema = Type.Array(BlueXpLicenseSchema);

export const LicenseQuerySchema = Type.Object(
  {
    accountId: Type.Optional(AccountId),
    serialNumber: Type.Optional(Type.String({ pattern: '^[0-9]{1,15}$' })),
    resourceId: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    licenseType: Type.Optional(Code),
    service: Type.Optional(Code),
    group: Type.Optional(Code),
    includeSummaryInfo: Type.Optional(Type.Enum(['true', 'false'])),
  },
  { additionalProperties: false },
);
export type LicenseQuery = Static<typeof LicenseQuerySchema>;

export const LicenseCreateSchema = Type.Object(
  {
    accountId: AccountId,
    licenseType: Type.Enum(BLUEXP_LICENSE_TYPES),
    service: Type.Optional(Type.Union([Code, Type.Null()])),
    group: Type.Optional(Type.Union([Code, Type.Null()])),
    product: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    key: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
    serialNumber: Type.Optional(
      Type.String({
        pattern: '^[1-9][0-9]{0,14}$',
        description: 'Keep a serial issued elsewhere (e.g. 481000485); assigned when absent.',
      }),
    ),
    description: Type.Optional(Type.String({ maxLength: 2000 })),
    entitledCapacityTB: Type.Optional(Capacity),
    expirationDate: Type.Optional(NullableDateTime),
  },
  { additionalProperties: false },
);
export type LicenseCreate = Static<typeof LicenseCreateSchema>;

export const LicenseUpdateSchema = Type.Object(
  {
    service: Type.Optional(Type.Union([Code, Type.Null()])),
    group: Type.Optional(Type.Union([Code, Type.Null()])),
    description: Type.Optional(Type.String({ maxLength: 2000 })),
    entitledCapacityTB: Type.Optional(Capacity),
    expirationDate: Type.Optional(NullableDateTime),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type LicenseUpdate = Static<typeof LicenseUpdateSchema>;

export const ResourceParams = Type.Object({
  resourceId: Type.String({ minLength: 1, maxLength: 200 }),
});

export const BlueXpSubscriptionSchema = Type.Object(
  {
    subscriptionNumber: Type.String({ description: 'The subscription id of the wallet.' }),
    subscriptionId: Type.String({ format: 'uuid' }),
    accounts: Type.Array(Type.String()),
    status: Type.String(),
    entitledCapacityTiB: Type.Union([Type.Number(), Type.Null()]),
    consumedCapacityTiB: Type.Union([Type.Number(), Type.Null()]),
    expirationDate: NullableDateTime,
  },
  { additionalProperties: false },
);
export type BlueXpSubscription = Static<typeof BlueXpSubscriptionSchema>;

export const SubscriptionQuerySchema = Type.Object(
  { accountId: Type.Optional(AccountId) },
  { additionalProperties: false },
);

export const BlueXpErrorSchema = Type.Object(
  {
    status: Type.Integer({ description: 'The HTTP status, repeated.' }),
    code: Type.String(),
    message: Type.String(),
    requestId: Type.String(),
    details: Type.Array(Type.Object({ name: Type.String(), reason: Type.String() })),
  },
  { additionalProperties: false },
);
export type BlueXpError = Static<typeof BlueXpErrorSchema>;
