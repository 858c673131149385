import { Type, type Static } from 'typebox';

/**
 * BlackBerry group licensing: an account that turns it on assigns licenses to groups of users;
 * purchases arrive as orders whose quantities, until assigned to a group, are "unassigned
 * licenses".
 */
export const GroupSchema = Type.Object(
  {
    guid: Type.String({ format: 'uuid' }),
    accountId: Type.String(),
    groupName: Type.String({ minLength: 1, maxLength: 200 }),
    numberOfUsers: Type.Integer({ minimum: 0 }),
    licenses: Type.Array(Type.String(), {
      description: 'Resource ids of the licenses assigned to the group.',
    }),
    createdAt: Type.String({ format: 'date-time' }),
    updatedAt: Type.String({ format: 'date-time' }),
  },
  { additionalProperties: false },
);
export type Group = Static<typeof GroupSchema>;

export const GroupInputSchema = Type.Object(
  {
    guid: Type.Optional(Type.String({ format: 'uuid', description: 'Generated when absent.' })),
    groupName: GroupSchema.properties.groupName,
    numberOfUsers: Type.Optional(Type.Integer({ minimum: 0, maximum: 10_000_000 })),
  },
  { additionalProperties: false },
);
export type GroupInput = Static<typeof GroupInputSchema>;

export const GroupPatchSchema = Type.Object(
  {
    groupName: Type.Optional(GroupSchema.properties.groupName),
    numberOfUsers: Type.Optional(Type.Integer({ minimum: 0, maximum: 10_000_000 })),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type GroupPatch = Static<typeof GroupPatchSchema>;

export const PurchaseDetailSchema = Type.Object(
  {
    sku: Type.String({ minLength: 1, maxLength: 64, examples: ['EMS.MT.SOD.AD'] }),
    description: Type.String({ maxLength: 500 }),
    quantity: Type.Integer({ minimum: 0, maximum: 100_000_000 }),
    startDate: Type.String({ format: 'date-time' }),
    endDate: Type.String({ format: 'date-time' }),
  },
  { additionalProperties: false },
);
export type PurchaseDetail = Static<typeof PurchaseDetailSchema>;

export const OrderInputSchema = Type.Object(
  {
    orderId: Type.String({ pattern: '^[A-Za-z0-9._:/-]{1,64}$', examples: ['HP_17:606'] }),
    purchaseDetails: Type.Array(PurchaseDetailSchema, { minItems: 1, maxItems: 100 }),
  },
  { additionalProperties: false },
);
export type OrderInput = Static<typeof OrderInputSchema>;

export const OrderSchema = Type.Object(
  {
    orderId: Type.String(),
    accountId: Type.String(),
    purchaseDetails: Type.Array(
      Type.Object({
        ...PurchaseDetailSchema.properties,
        assigned: Type.Number({
          description: 'Quantity of this SKU in licenses assigned to groups.',
        }),
        unassigned: Type.Number({ description: 'Purchased but not yet assigned to a group.' }),
      }),
    ),
    createdAt: Type.String({ format: 'date-time' }),
  },
  { additionalProperties: false },
);
export type Order = Static<typeof OrderSchema>;

/** Purchased minus assigned, never below zero (over-assignment is the vendor's to reconcile). */
export function unassigned(purchased: number, assigned: number): number {
  return Math.max(0, purchased - assigned);
}

/** An order's start and end must be in order. */
export function checkPurchaseDetails(
  details: readonly PurchaseDetail[],
): { name: string; reason: string }[] {
  return details.flatMap((detail, i) =>
    Date.parse(detail.endDate) < Date.parse(detail.startDate)
      ? [{ name: `purchaseDetails.${String(i)}.endDate`, reason: 'must not be before startDate' }]
      : [],
  );
}
