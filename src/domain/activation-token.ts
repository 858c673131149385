import { createHash } from 'node:crypto';
import { Type, type Static } from 'typebox';
import { AccountId } from './account.js';
import { LicenseIssueSchema, type LicenseIssue } from './license.js';

/**
 * Activation tokens (NetProfiler's "license activation code"): an operator sells an order and
 * hands the customer a one-time token; the customer's appliance or admin redeems it once, which
 * issues the order's licenses into the redeemer's account.
 */

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
/** 20 symbols × 5 bits = 100 random bits, printed as four groups of five. */
export const TOKEN_SYMBOLS = 20;
export const TOKEN_RANDOM_BYTES = 13;
const DAY_MS = 86_400_000;
export const DEFAULT_TOKEN_LIFETIME_DAYS = 90;

const fields = LicenseIssueSchema.properties;
const DateTime = Type.String({ format: 'date-time' });

/** What each license issued by a redemption looks like. */
export const LicenseTemplateSchema = Type.Object(
  {
    product: Type.Union(
      [Type.Integer({ minimum: 1 }), Type.String({ minLength: 1, maxLength: 64 })],
      { description: 'Product id or slug.' },
    ),
    kind: fields.kind,
    term: fields.term,
    metricId: fields.metricId,
    quantity: fields.quantity,
    features: fields.features,
    description: fields.description,
    graceDays: fields.graceDays,
    seatLimit: fields.seatLimit,
    sku: fields.sku,
    durationDays: Type.Optional(
      Type.Union([Type.Integer({ minimum: 1, maximum: 36_500 }), Type.Null()], {
        description: 'Each license expires this many days after the redemption; null: never.',
      }),
    ),
  },
  { additionalProperties: false },
);
export type LicenseTemplate = Static<typeof LicenseTemplateSchema>;

export const ActivationTokenIssueSchema = Type.Object(
  {
    accountId: Type.Optional(
      Type.Union([AccountId, Type.Null()], {
        description: 'Only this account may redeem it; null or absent: whoever holds the token.',
      }),
    ),
    orderId: Type.Optional(Type.Union([Type.String({ minLength: 1, maxLength: 64 }), Type.Null()])),
    count: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 100,
        description: 'How many licenses one redemption issues (default 1).',
      }),
    ),
    license: LicenseTemplateSchema,
    expiresAt: Type.Optional(
      Type.String({
        format: 'date-time',
        description: `Redeemable until then (default ${String(DEFAULT_TOKEN_LIFETIME_DAYS)} days).`,
      }),
    ),
  },
  { additionalProperties: false },
);
export type ActivationTokenIssue = Static<typeof ActivationTokenIssueSchema>;

export const ACTIVATION_TOKEN_STATUSES = ['redeemable', 'redeemed', 'expired', 'revoked'] as const;
export type ActivationTokenStatus = (typeof ACTIVATION_TOKEN_STATUSES)[number];

export const ActivationTokenSchema = Type.Object(
  {
    id: Type.String(),
    hint: Type.String({ description: 'The last four symbols of the token, to recognize it.' }),
    accountId: Type.Union([AccountId, Type.Null()]),
    orderId: Type.Union([Type.String(), Type.Null()]),
    count: Type.Integer(),
    license: LicenseTemplateSchema,
    status: Type.Enum(ACTIVATION_TOKEN_STATUSES),
    createdAt: DateTime,
    expiresAt: DateTime,
    redeemedAt: Type.Union([DateTime, Type.Null()]),
    redeemedBy: Type.Union([
      Type.Object({ accountId: AccountId, subject: Type.String() }),
      Type.Null(),
    ]),
    licenseIds: Type.Array(Type.String()),
    revokedAt: Type.Union([DateTime, Type.Null()]),
  },
  { additionalProperties: false },
);
export type ActivationToken = Static<typeof ActivationTokenSchema>;

/** The stored record; the status is derived from it and the time. */
export type ActivationTokenRecord = Omit<ActivationToken, 'status'>;

export const RedeemRequestSchema = Type.Object(
  {
    token: Type.String({ minLength: 1, maxLength: 128 }),
    accountId: Type.Optional(AccountId),
    instance: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 64,
        description: "Install the licenses on this instance (default: an instance token's own).",
      }),
    ),
  },
  { additionalProperties: false },
);
export type RedeemRequest = Static<typeof RedeemRequestSchema>;

/** Prints 13 random bytes as a token: `XXXXX-XXXXX-XXXXX-XXXXX` in Crockford base32. */
export function formatToken(random: Uint8Array): string {
  if (random.length < TOKEN_RANDOM_BYTES) {
    throw new Error(`a token needs ${String(TOKEN_RANDOM_BYTES)} random bytes`);
  }
  let bits = 0n;
  for (const byte of random.subarray(0, TOKEN_RANDOM_BYTES)) bits = (bits << 8n) | BigInt(byte);
  let text = '';
  for (let i = 0; i < TOKEN_SYMBOLS; i++) {
    text = CROCKFORD.charAt(Number(bits & 31n)) + text;
    bits >>= 5n;
  }
  return text.match(/.{5}/g)?.join('-') ?? text;
}

/**
 * The canonical form a token is hashed in: upper case, without spaces or dashes, Crockford's
 * look-alikes read as digits (O→0, I/L→1), so a token typed from a printout still matches.
 */
export function normalizeToken(raw: string): string {
  return raw.toUpperCase().replace(/[\s-]/g, '').replace(/O/g, '0').replace(/[IL]/g, '1');
}

/** Only the hash is stored: a leaked database does not hand out redeemable tokens. */
export function tokenHash(raw: string): string {
  return createHash('sha256')
    .update(`entitle-activation-token:${normalizeToken(raw)}`)
    .digest('hex');
}

export function tokenHint(raw: string): string {
  return normalizeToken(raw).slice(-4);
}

export function activationTokenStatus(
  token: Pick<ActivationTokenRecord, 'redeemedAt' | 'revokedAt' | 'expiresAt'>,
  now: Date,
): ActivationTokenStatus {
  if (token.revokedAt !== null) return 'revoked';
  if (token.redeemedAt !== null) return 'redeemed';
  if (Date.parse(token.expiresAt) <= now.getTime()) return 'expired';
  return 'redeemable';
}

/** Why a token cannot be redeemed by this account now, or null when it can. */
export function redemptionRefusal(
  token: ActivationTokenRecord | undefined,
  accountId: string,
  now: Date,
): string | null {
  // Another account's token reads as an unknown one: a guess learns nothing.
  if (token === undefined || (token.accountId !== null && token.accountId !== accountId)) {
    return 'unknown token';
  }
  const status = activationTokenStatus(token, now);
  if (status === 'redeemable') return null;
  return status === 'redeemed' ? 'already redeemed' : status;
}

export function defaultTokenExpiry(now: Date): string {
  return new Date(now.getTime() + DEFAULT_TOKEN_LIFETIME_DAYS * DAY_MS).toISOString();
}

/** The licenses a redemption issues: `count` copies of the template, dated from `now`. */
export function licensesOfRedemption(
  token: Pick<ActivationTokenRecord, 'count' | 'license' | 'orderId'>,
  accountId: string,
  now: Date,
): LicenseIssue[] {
  const { durationDays, ...template } = token.license;
  const expiresAt =
    durationDays === undefined || durationDays === null
      ? null
      : new Date(now.getTime() + durationDays * DAY_MS).toISOString();
  return Array.from({ length: token.count }, () => ({
    ...template,
    accountId,
    orderId: token.orderId,
    expiresAt,
  }));
}
