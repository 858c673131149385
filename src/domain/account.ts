import { Type, type Static } from 'typebox';

/**
 * An account is a tenant: a customer's wallet. Its id covers BlueXP accountId, Astra account_id
 * and BlackBerry tenantGuid, so it is caller-chosen when those systems already named it.
 */
export const ACCOUNT_ID_PATTERN = '^[A-Za-z0-9._-]{1,64}$';

export const AccountId = Type.String({
  pattern: ACCOUNT_ID_PATTERN,
  description: 'Letters, digits, dot, underscore and dash; 1 to 64 characters.',
  examples: ['acme-corp'],
});

export const AccountSettingsSchema = Type.Object(
  {
    autoDownload: Type.Boolean({
      description: 'Fetch new licenses from the upstream server automatically (NetProfiler).',
    }),
    upstreamUrl: Type.Union([Type.String({ format: 'uri', maxLength: 2048 }), Type.Null()], {
      description: 'The vendor server licenses are fetched from, when running on premises.',
    }),
    groupLicensing: Type.Boolean({
      description: 'Licenses are assigned to groups of users (BlackBerry group licensing).',
    }),
    messageOfTheDay: Type.Union(
      [
        Type.Object(
          {
            contentType: Type.Enum(['text/plain', 'text/html']),
            message: Type.String({
              maxLength: 20_000,
              description: 'The message, base64-encoded.',
            }),
          },
          { additionalProperties: false },
        ),
        Type.Null(),
      ],
      { description: "Shown in the account's licensing status (BlackBerry messageOfTheDay)." },
    ),
    reminderDays: Type.Optional(
      Type.Union([Type.Integer({ minimum: 1, maximum: 365 }), Type.Null()], {
        description:
          "Days before a license's expiry that license.expiring is recorded; absent or null: 30.",
      }),
    ),
  },
  { additionalProperties: false },
);
export type AccountSettings = Static<typeof AccountSettingsSchema>;

export const AccountSchema = Type.Object(
  {
    id: AccountId,
    name: Type.String({ minLength: 1, maxLength: 200 }),
    orgId: Type.Union([Type.String({ minLength: 1, maxLength: 64 }), Type.Null()], {
      description: 'The customer organization id (BlackBerry orgId).',
    }),
    settings: AccountSettingsSchema,
    createdAt: Type.String({ format: 'date-time' }),
    updatedAt: Type.String({ format: 'date-time' }),
  },
  { additionalProperties: false },
);
export type Account = Static<typeof AccountSchema>;

/**
 * What a caller writes: POST creates (the id is generated when absent), PUT replaces the whole
 * writable state (omitted optional fields return to their defaults; an id must match the path).
 */
export const AccountInputSchema = Type.Object(
  {
    id: Type.Optional(AccountId),
    name: AccountSchema.properties.name,
    orgId: Type.Optional(AccountSchema.properties.orgId),
    settings: Type.Optional(Type.Partial(AccountSettingsSchema)),
  },
  { additionalProperties: false },
);
export type AccountInput = Static<typeof AccountInputSchema>;

/** PATCH: only the fields present change; settings merge key by key. */
export const AccountPatchSchema = Type.Object(
  {
    name: Type.Optional(AccountSchema.properties.name),
    orgId: Type.Optional(AccountSchema.properties.orgId),
    settings: Type.Optional(Type.Partial(AccountSettingsSchema)),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type AccountPatch = Static<typeof AccountPatchSchema>;

export const defaultAccountSettings: AccountSettings = {
  autoDownload: false,
  upstreamUrl: null,
  groupLicensing: false,
  messageOfTheDay: null,
};

/** Settings as stored may predate a field: missing fields take their defaults. */
export function normalizeSettings(
  stored: Partial<AccountSettings> | null | undefined,
): AccountSettings {
  return { ...defaultAccountSettings, ...(stored ?? {}) };
}

/** A generated id, in the account id alphabet. `randomHex` comes from the caller: no I/O here. */
export function generateAccountId(randomHex: string): string {
  return `acct-${randomHex.slice(0, 16)}`;
}
