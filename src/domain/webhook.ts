import { createHmac, timingSafeEqual } from 'node:crypto';
import { Type, type Static } from 'typebox';
import { AccountId } from './account.js';
import type { FieldIssue } from './errors.js';

/**
 * Webhooks: endpoints that receive every event of an account (or of every account), signed the
 * Standard Webhooks way (https://www.standardwebhooks.com): `webhook-id`, `webhook-timestamp` and
 * `webhook-signature: v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">`.
 */

/**
 * Every event type a webhook endpoint may subscribe to: every type `recordChange` is called with
 * anywhere in the code. A type missing here cannot be subscribed to (only `*` would receive it).
 */
export const WEBHOOK_EVENT_TYPES = [
  'account.created',
  'account.updated',
  'account.deleted',
  'product.created',
  'product.updated',
  'product.deleted',
  'instance.created',
  'instance.updated',
  'instance.deleted',
  'license.created',
  'license.updated',
  'license.activated',
  'license.deactivated',
  'license.expiring',
  'license.expired',
  'license.grace_ended',
  'license.revoked',
  'license.deleted',
  'license.unrecognized',
  'license.uninstalled',
  'subscription.created',
  'subscription.updated',
  'subscription.cancelled',
  'subscription.reactivated',
  'subscription.expiring',
  'subscription.expired',
  'subscription.grace_ended',
  'subscription.deleted',
  'charge.created',
  'charge.voided',
  'usage.recorded',
  'usage.pruned',
  'usage.overage',
  'compliance.changed',
  'group.created',
  'group.updated',
  'group.deleted',
  'group.licenses-assigned',
  'group.license-unassigned',
  'order.created',
  'order.deleted',
  'token.issued',
  'signing-key.rotated',
  'webhook_endpoint.created',
  'webhook_endpoint.updated',
  'webhook_endpoint.deleted',
  'webhook_endpoint.secret_rotated',
  'webhook_endpoint.disabled',
  'webhook_delivery.redelivered',
  'webhook.test',
  'policy.created',
  'policy.updated',
  'policy.deleted',
  'license.policy_changed',
  'lease.checked_out',
  'lease.renewed',
  'lease.checked_in',
  'lease.reclaimed',
  'license.clock_started',
  'license.renewed',
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** `*`: every event type, including types added in later versions. */
export const ALL_EVENTS = '*';

// A string rather than an enum, so that an unknown type is answered by name (see checkWebhookFields).
export const WebhookEventTypeSchema = Type.String({
  minLength: 1,
  maxLength: 100,
  description: `An event type, or \`*\` for every event type: ${WEBHOOK_EVENT_TYPES.join(', ')}.`,
  examples: ['license.created', '*'],
});

const WebhookId = Type.String({ format: 'uuid', description: 'The webhook endpoint id.' });

const WebhookUrl = Type.String({
  format: 'uri',
  minLength: 1,
  maxLength: 2000,
  description: 'An http or https URL that receives a POST per event.',
  examples: ['https://billing.example.com/entitle/webhooks'],
});

const EventTypes = Type.Array(WebhookEventTypeSchema, {
  minItems: 1,
  maxItems: 100,
  uniqueItems: true,
  description: 'The event types delivered to this endpoint; `["*"]` for all of them.',
});

export const WebhookEndpointSchema = Type.Object(
  {
    id: WebhookId,
    accountId: Type.Union([AccountId, Type.Null()], {
      description: 'The account whose events the endpoint receives; null: every account (global).',
    }),
    url: WebhookUrl,
    description: Type.String({ maxLength: 500 }),
    eventTypes: EventTypes,
    enabled: Type.Boolean(),
    consecutiveFailures: Type.Integer({
      minimum: 0,
      description: 'Deliveries in a row that ended failed; reset by a success or by re-enabling.',
    }),
    disabledAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
    disabledReason: Type.Union([Type.String(), Type.Null()], {
      description: 'Why the endpoint was disabled, when the delivery worker disabled it.',
    }),
    createdAt: Type.String({ format: 'date-time' }),
    updatedAt: Type.String({ format: 'date-time' }),
  },
  { additionalProperties: false },
);
export type WebhookEndpoint = Static<typeof WebhookEndpointSchema>;

/** The create and rotate-secret answers: the only times the signing secret is shown. */
export const WebhookEndpointWithSecretSchema = Type.Object(
  {
    ...WebhookEndpointSchema.properties,
    secret: Type.String({
      description:
        'The signing secret, `whsec_` + base64 of 24 random bytes. Shown only in this response: store it.',
      examples: ['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'],
    }),
  },
  { additionalProperties: false },
);
export type WebhookEndpointWithSecret = Static<typeof WebhookEndpointWithSecretSchema>;

export const WebhookCreateSchema = Type.Object(
  {
    accountId: Type.Optional(
      Type.Union([AccountId, Type.Null()], {
        description:
          "The account whose events the endpoint receives; null for a global endpoint (operators). Defaults to the token's account when it has exactly one.",
      }),
    ),
    url: WebhookUrl,
    description: Type.Optional(WebhookEndpointSchema.properties.description),
    eventTypes: EventTypes,
    enabled: Type.Optional(Type.Boolean({ default: true })),
  },
  { additionalProperties: false },
);
export type WebhookCreate = Static<typeof WebhookCreateSchema>;

export const WebhookPatchSchema = Type.Object(
  {
    url: Type.Optional(WebhookUrl),
    description: Type.Optional(WebhookEndpointSchema.properties.description),
    eventTypes: Type.Optional(EventTypes),
    enabled: Type.Optional(
      Type.Boolean({ description: 'Re-enabling resets the count of failed deliveries.' }),
    ),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type WebhookPatch = Static<typeof WebhookPatchSchema>;

export const DELIVERY_STATUSES = ['pending', 'delivered', 'failed'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

export const WebhookDeliverySchema = Type.Object(
  {
    id: Type.Integer(),
    endpointId: WebhookId,
    eventId: Type.Integer(),
    eventType: Type.String({ examples: ['license.created'] }),
    messageId: Type.String({ description: 'The `webhook-id` header: the same on every attempt.' }),
    status: Type.Enum([...DELIVERY_STATUSES]),
    attempts: Type.Integer({ minimum: 0, description: 'Attempts of the current series.' }),
    nextAttemptAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], {
      description: 'When the next attempt is due; null once delivered or failed.',
    }),
    lastAttemptAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
    lastStatusCode: Type.Union([Type.Integer(), Type.Null()]),
    lastError: Type.Union([Type.String(), Type.Null()]),
    createdAt: Type.String({ format: 'date-time' }),
    deliveredAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  },
  { additionalProperties: false },
);
export type WebhookDelivery = Static<typeof WebhookDeliverySchema>;

export const WebhookAttemptSchema = Type.Object(
  {
    id: Type.Integer(),
    attempt: Type.Integer({ minimum: 1, description: 'Its number within its series.' }),
    at: Type.String({ format: 'date-time' }),
    statusCode: Type.Union([Type.Integer(), Type.Null()], {
      description: "The receiver's status; null when no answer came.",
    }),
    error: Type.Union([Type.String(), Type.Null()], {
      description: 'Why no answer came (timeout, refused connection…), or null.',
    }),
    durationMs: Type.Integer({ minimum: 0 }),
    responseBody: Type.Union([Type.String(), Type.Null()], {
      description: 'The first 1 KB of the answer.',
    }),
  },
  { additionalProperties: false },
);
export type WebhookAttempt = Static<typeof WebhookAttemptSchema>;

export const WebhookDeliveryDetailSchema = Type.Object(
  {
    ...WebhookDeliverySchema.properties,
    attemptLog: Type.Array(WebhookAttemptSchema, {
      description: 'Every attempt, oldest first, including earlier series (before a redeliver).',
    }),
  },
  { additionalProperties: false },
);
export type WebhookDeliveryDetail = Static<typeof WebhookDeliveryDetailSchema>;

/** The JSON body of every delivery. */
export interface WebhookPayload {
  type: string;
  /** When the event happened (ISO-8601). */
  timestamp: string;
  data: {
    eventId: number;
    accountId: string | null;
    resourceType: string;
    resourceId: string;
    actor: string;
    before: unknown;
    after: unknown;
    requestId: string | null;
  };
}

/** Rules a schema cannot express: the URL scheme, and `*` standing alone. */
export function checkWebhookFields(input: {
  url?: string | undefined;
  eventTypes?: readonly string[] | undefined;
}): FieldIssue[] {
  const issues: FieldIssue[] = [];
  if (input.url !== undefined) {
    let scheme: string | null = null;
    try {
      scheme = new URL(input.url).protocol;
    } catch {
      scheme = null;
    }
    if (scheme !== 'http:' && scheme !== 'https:') {
      issues.push({ name: 'url', reason: 'must be an http or https URL' });
    }
  }
  if (input.eventTypes !== undefined) {
    const known: ReadonlySet<string> = new Set(WEBHOOK_EVENT_TYPES);
    input.eventTypes.forEach((type, i) => {
      if (type !== ALL_EVENTS && !known.has(type)) {
        issues.push({ name: `eventTypes.${String(i)}`, reason: `unknown event type: ${type}` });
      }
    });
    if (input.eventTypes.includes(ALL_EVENTS) && input.eventTypes.length > 1) {
      issues.push({ name: 'eventTypes', reason: '"*" already means every event type' });
    }
  }
  return issues;
}

/** Whether an endpoint subscribed to `eventTypes` receives events of `type`. */
export function wantsEvent(eventTypes: readonly string[], type: string): boolean {
  return eventTypes.includes(ALL_EVENTS) || eventTypes.includes(type);
}

const SECRET_PREFIX = 'whsec_';

/**
 * A signing secret from 24 random bytes (the caller draws them: no I/O here).
 *
 * @example newWebhookSecret(randomBytes(24)) // 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'
 */
export function newWebhookSecret(random: Uint8Array): string {
  return SECRET_PREFIX + Buffer.from(random).toString('base64');
}

function secretKey(secret: string): Buffer {
  return Buffer.from(
    secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret,
    'base64',
  );
}

/** The stable id of a delivery (`webhook-id`): one per event and endpoint, kept across retries. */
export function webhookMessageId(eventId: number, endpointId: string): string {
  return `msg_${String(eventId)}_${endpointId.replace(/-/g, '')}`;
}

/**
 * `v1,<base64 HMAC-SHA256>` over `<id>.<timestamp>.<body>`, keyed with the secret's bytes.
 *
 * @example signWebhook('whsec_…', 'msg_1_ab', 1795435200, '{"type":"webhook.test",…}')
 */
export function signWebhook(
  secret: string,
  id: string,
  timestampSeconds: number,
  body: string,
): string {
  const mac = createHmac('sha256', secretKey(secret))
    .update(`${id}.${String(timestampSeconds)}.${body}`)
    .digest('base64');
  return `v1,${mac}`;
}

/** The headers of one attempt: the body is signed with the attempt's own timestamp. */
export function webhookHeaders(
  secret: string,
  id: string,
  at: Date,
  body: string,
): Record<string, string> {
  const timestamp = Math.floor(at.getTime() / 1000);
  return {
    'content-type': 'application/json',
    'user-agent': 'Entitle-Webhooks/1',
    'webhook-id': id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': signWebhook(secret, id, timestamp, body),
  };
}

export type WebhookVerdict =
  | { ok: true; id: string; timestamp: number }
  | { ok: false; code: 'MISSING_HEADERS' | 'STALE_TIMESTAMP' | 'BAD_SIGNATURE' };

/**
 * What a receiver runs on every request: the headers are present, the timestamp is within
 * `toleranceSeconds` of `now` (replays of old requests are refused), and one of the `v1`
 * signatures matches. `headers` as Node gives them (lower-case names). `body` is the raw body,
 * exactly as received: parse the JSON only after verifying.
 *
 * @example
 *   const verdict = verifyWebhook(secret, req.headers, rawBody, new Date());
 *   if (!verdict.ok) return res.writeHead(400).end(verdict.code);
 */
export function verifyWebhook(
  secret: string,
  headers: Readonly<Record<string, string | readonly string[] | undefined>>,
  body: string,
  now: Date,
  toleranceSeconds = 300,
): WebhookVerdict {
  const header = (name: string): string | undefined => {
    const value = headers[name];
    return typeof value === 'string' ? value : value?.[0];
  };
  const id = header('webhook-id');
  const timestampText = header('webhook-timestamp');
  const signatures = header('webhook-signature');
  if (id === undefined || timestampText === undefined || signatures === undefined) {
    return { ok: false, code: 'MISSING_HEADERS' };
  }
  if (!/^\d{1,12}$/.test(timestampText)) return { ok: false, code: 'STALE_TIMESTAMP' };
  const timestamp = Number(timestampText);
  if (Math.abs(now.getTime() / 1000 - timestamp) > toleranceSeconds) {
    return { ok: false, code: 'STALE_TIMESTAMP' };
  }
  const expected = Buffer.from(signWebhook(secret, id, timestamp, body).slice(3), 'base64');
  for (const candidate of signatures.split(' ')) {
    const [version, mac] = candidate.split(',', 2);
    if (version !== 'v1' || mac === undefined) continue;
    const given = Buffer.from(mac, 'base64');
    if (given.length === expected.length && timingSafeEqual(given, expected)) {
      return { ok: true, id, timestamp };
    }
  }
  return { ok: false, code: 'BAD_SIGNATURE' };
}

export interface RetryPolicy {
  /** Delay after the first failed attempt. */
  baseMs: number;
  /** Each further failure multiplies the delay by this. */
  factor: number;
  /** No delay is longer. */
  capMs: number;
  /** ±fraction of random spread, so that many failed deliveries do not retry in lockstep. */
  jitter: number;
  /** Attempts in a series; the last failed one ends the delivery as `failed`. */
  maxAttempts: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  baseMs: 30_000,
  factor: 4,
  capMs: 6 * 3_600_000,
  jitter: 0.2,
  maxAttempts: 8,
};

/** The delay before attempt `failedAttempts + 1`, without jitter: base × factor^(n−1), capped. */
export function nominalRetryDelayMs(
  failedAttempts: number,
  policy: RetryPolicy = DEFAULT_RETRY_POLICY,
): number {
  const exponent = Math.max(0, failedAttempts - 1);
  return Math.min(policy.capMs, policy.baseMs * policy.factor ** exponent);
}

/**
 * The delay after `failedAttempts` failed attempts (1 = the first one failed): the nominal delay
 * spread by ±`jitter` (`random` in [0, 1), 0.5 = no spread), never above the cap.
 *
 * @example retryDelayMs(1, 0.5) // 30_000; retryDelayMs(3, 0.5) // 480_000
 */
export function retryDelayMs(
  failedAttempts: number,
  random: number,
  policy: RetryPolicy = DEFAULT_RETRY_POLICY,
): number {
  const spread = 1 + policy.jitter * (2 * Math.min(Math.max(random, 0), 1) - 1);
  return Math.round(Math.min(policy.capMs, nominalRetryDelayMs(failedAttempts, policy) * spread));
}
