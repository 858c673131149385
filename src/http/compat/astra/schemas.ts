import { Type, type Static } from 'typebox';
import {
  MetadataSchema,
  SubscriptionCreateSchema,
  SubscriptionReplaceSchema,
  SubscriptionSchema,
  type Subscription,
} from '../../../domain/subscription.js';

/**
 * NetApp Astra subscription API (reference 002) schemas. The native subscription already holds
 * every Astra field under its exact name, so these are the native schemas without Entitle's own
 * fields (accounts, product, capacity, expiry, number, period, revision).
 */

export const ASTRA_LIST_MEDIA_TYPE = 'application/astra-subscriptions';
export const ASTRA_LIST_VERSION = '1.2';

/** Entitle's fields: never taken from, nor shown to, an Astra client. */
const ENTITLE_WRITABLE = [
  'accounts',
  'productId',
  'entitledCapacity',
  'capacityUnit',
  'expiresAt',
] as const;

export const AccountParams = Type.Object({
  account_id: Type.String({ minLength: 1, maxLength: 200, description: 'ID of the account.' }),
});

export const SubscriptionParams = Type.Object({
  account_id: AccountParams.properties.account_id,
  subscription_id: Type.String({ minLength: 1, maxLength: 200 }),
});

/**
 * The create body: Astra's create table (type, version, terms; billing strings; marketplace;
 * metadata) plus the other Astra resource fields an operator may set up front (limits, periods,
 * costs, onboarding, purchase order, license SN). `status` is not taken: a new one is active.
 * There is no `accounts`: the path account is the subscription's account.
 */
export const AstraCreateSchema = Type.Omit(SubscriptionCreateSchema, ENTITLE_WRITABLE, {
  additionalProperties: false,
});
export type AstraCreate = Static<typeof AstraCreateSchema>;

/** The PUT body: Astra's modify table — type and version required, everything else optional. */
export const AstraReplaceSchema = Type.Omit(SubscriptionReplaceSchema, ENTITLE_WRITABLE, {
  additionalProperties: false,
});
export type AstraReplace = Static<typeof AstraReplaceSchema>;

/** `subscription_1.2_get_response_body`, in the document's field order. */
export const AstraSubscriptionSchema = Type.Object(
  {
    type: SubscriptionSchema.properties.type,
    version: SubscriptionSchema.properties.version,
    id: Type.String({ description: 'UUID of the subscription.' }),
    customerProfileID: Type.String({ description: '"" when not set.' }),
    paymentProfileID: Type.String({ description: '"" when not set.' }),
    paymentExpiry: Type.Optional(Type.String({ description: 'Not returned for trial terms.' })),
    purchaseOrderNumber: Type.Optional(Type.String()),
    marketplace: SubscriptionSchema.properties.marketplace,
    licenseSN: Type.Optional(Type.String()),
    terms: SubscriptionSchema.properties.terms,
    status: SubscriptionSchema.properties.status,
    appLimit: Type.Number(),
    namespaceLimit: Type.Number(),
    subscriptionPeriod: Type.Number(),
    gracePeriod: Type.Number(),
    reminderBeforePeriod: Type.Number(),
    onboardStatus: SubscriptionSchema.properties.onboardStatus,
    costPerAppUnit: Type.Number(),
    costPerNamespaceUnit: Type.Number(),
    metadata: MetadataSchema,
  },
  { additionalProperties: false, title: 'subscription_1.2_get_response_body' },
);
export type AstraSubscription = Static<typeof AstraSubscriptionSchema>;

/** The fields `include` may name, in the resource's order. */
export const ASTRA_FIELDS = Object.keys(AstraSubscriptionSchema.properties) as readonly string[];

/** `type_astra_metadata_list`. */
export const AstraListMetadataSchema = Type.Object({
  continue: Type.Optional(Type.String()),
  count: Type.Optional(Type.Integer()),
  labels: Type.Array(Type.Object({ name: Type.String(), value: Type.String() })),
  creationTimestamp: Type.String(),
  modificationTimestamp: Type.String(),
  createdBy: Type.String(),
});

export const AstraListSchema = Type.Object(
  {
    type: Type.Literal(ASTRA_LIST_MEDIA_TYPE),
    version: Type.Literal(ASTRA_LIST_VERSION),
    // "Any of: subscription_1.2_get_response_body, array[]": arrays when `include` is given.
    items: Type.Array(Type.Union([AstraSubscriptionSchema, Type.Array(Type.Unknown())])),
    metadata: AstraListMetadataSchema,
  },
  { title: 'subscriptions list' },
);
export type AstraList = Static<typeof AstraListSchema>;

/** The list query: the native query language's parameters, all strings. */
export const AstraListQuery = Type.Object(
  {
    filter: Type.Optional(Type.String({ maxLength: 4000, examples: ["status eq 'active'"] })),
    include: Type.Optional(Type.String({ maxLength: 500, examples: ['id,terms'] })),
    limit: Type.Optional(Type.String({ examples: ['2'] })),
    skip: Type.Optional(Type.String({ examples: ['1'] })),
    orderBy: Type.Optional(Type.String({ maxLength: 500, examples: ['licenseSN desc'] })),
    count: Type.Optional(Type.String({ examples: ['true'] })),
    continue: Type.Optional(Type.String({ maxLength: 2000 })),
  },
  { additionalProperties: false },
);
export type AstraListQueryType = Static<typeof AstraListQuery>;

/** The native resource as Astra shows it: its fields only, in the document's order. */
export function astraSubscription(subscription: Subscription): AstraSubscription {
  // Optional on read: present only when set (paymentExpiry never for trial terms).
  const optional: Pick<
    AstraSubscription,
    'paymentExpiry' | 'purchaseOrderNumber' | 'marketplace' | 'licenseSN'
  > = {};
  if (subscription.paymentExpiry !== undefined) optional.paymentExpiry = subscription.paymentExpiry;
  if (subscription.purchaseOrderNumber !== undefined)
    optional.purchaseOrderNumber = subscription.purchaseOrderNumber;
  if (subscription.marketplace !== undefined) optional.marketplace = subscription.marketplace;
  if (subscription.licenseSN !== undefined) optional.licenseSN = subscription.licenseSN;
  return {
    type: subscription.type,
    version: subscription.version,
    id: subscription.id,
    customerProfileID: subscription.customerProfileID,
    paymentProfileID: subscription.paymentProfileID,
    ...optional,
    terms: subscription.terms,
    status: subscription.status,
    appLimit: subscription.appLimit,
    namespaceLimit: subscription.namespaceLimit,
    subscriptionPeriod: subscription.subscriptionPeriod,
    gracePeriod: subscription.gracePeriod,
    reminderBeforePeriod: subscription.reminderBeforePeriod,
    onboardStatus: subscription.onboardStatus,
    costPerAppUnit: subscription.costPerAppUnit,
    costPerNamespaceUnit: subscription.costPerNamespaceUnit,
    metadata: subscription.metadata,
  };
}
