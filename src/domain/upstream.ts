import { Type, type Static } from 'typebox';
import { AccountId } from './account.js';
import { LICENSE_STATES, LicenseIssueSchema } from './license.js';
import { ProductSchema } from './product.js';

/**
 * Federation: an Entitle on premises (an appliance's license endpoint) fetches the licenses the
 * vendor's Entitle issued for its hosts. These are the pure rules: the circuit breaker that keeps
 * a dead upstream from slowing every fetch, and the messages the appliance shows.
 */

const DateTime = Type.String({ format: 'date-time' });
const NullableDateTime = Type.Union([DateTime, Type.Null()]);

/** Failures in a row that open the circuit, and how long it then stays open. */
export const CIRCUIT_FAILURES = 3;
export const CIRCUIT_OPEN_MS = 60_000;

/** NetProfiler's own text for a fetch that brought nothing (unreachable, or nothing to fetch). */
export const FETCH_UNAVAILABLE =
  'Could not contact license server or there are currently no licenses available for this host.';

export interface UpstreamHealth {
  lastAttemptAt: string | null;
  lastContactAt: string | null;
  lastError: string | null;
  consecutiveFailures: number;
  openUntil: string | null;
}

export const NEVER_CONTACTED: UpstreamHealth = {
  lastAttemptAt: null,
  lastContactAt: null,
  lastError: null,
  consecutiveFailures: 0,
  openUntil: null,
};

/** While open, calls are not even tried: the answer is "unreachable" at once. */
export function circuitOpen(health: UpstreamHealth, now: Date): boolean {
  return health.openUntil !== null && Date.parse(health.openUntil) > now.getTime();
}

export function afterSuccess(health: UpstreamHealth, now: Date): UpstreamHealth {
  const at = now.toISOString();
  return {
    ...health,
    lastAttemptAt: at,
    lastContactAt: at,
    lastError: null,
    consecutiveFailures: 0,
    openUntil: null,
  };
}

/** The circuit opens on the CIRCUIT_FAILURES-th failure in a row (and again after each retry). */
export function afterFailure(health: UpstreamHealth, now: Date, error: string): UpstreamHealth {
  const failures = health.consecutiveFailures + 1;
  return {
    ...health,
    lastAttemptAt: now.toISOString(),
    lastError: error,
    consecutiveFailures: failures,
    openUntil:
      failures >= CIRCUIT_FAILURES ? new Date(now.getTime() + CIRCUIT_OPEN_MS).toISOString() : null,
  };
}

/** Connected: the last attempt reached the upstream. */
export function connected(health: UpstreamHealth): boolean {
  return health.lastContactAt !== null && health.consecutiveFailures === 0;
}

export const UpstreamLinkInputSchema = Type.Object(
  {
    url: Type.String({
      format: 'uri',
      pattern: '^https?://',
      maxLength: 2048,
      description: "The vendor's Entitle, e.g. https://licensing.vendor.example",
    }),
    token: Type.String({
      minLength: 1,
      maxLength: 8192,
      description:
        "A service token of the vendor's server for this customer's account. Never shown again.",
    }),
    remoteAccountId: Type.Optional(
      Type.Union([AccountId, Type.Null()], {
        description: "This account's id on the upstream (default: the same id).",
      }),
    ),
  },
  { additionalProperties: false },
);
export type UpstreamLinkInput = Static<typeof UpstreamLinkInputSchema>;

export const UpstreamStatusSchema = Type.Object(
  {
    accountId: AccountId,
    url: Type.Union([Type.String(), Type.Null()]),
    remoteAccountId: Type.Union([AccountId, Type.Null()]),
    tokenSet: Type.Boolean(),
    autoDownload: Type.Boolean(),
    connected: Type.Boolean({ description: 'The last attempt reached the upstream.' }),
    lastAttemptAt: NullableDateTime,
    lastContactAt: NullableDateTime,
    lastError: Type.Union([Type.String(), Type.Null()]),
    consecutiveFailures: Type.Integer(),
    circuit: Type.Enum(['closed', 'open'], {
      description: `Open after ${String(CIRCUIT_FAILURES)} failures in a row: no call for ${String(CIRCUIT_OPEN_MS / 1000)} s.`,
    }),
  },
  { additionalProperties: false },
);
export type UpstreamStatus = Static<typeof UpstreamStatusSchema>;

export const FETCH_RESULTS = [
  'installed',
  'updated',
  'unchanged',
  'seat limit reached',
  'conflict',
] as const;
export type FetchResult = (typeof FETCH_RESULTS)[number];

export const FetchOutcomeSchema = Type.Object(
  {
    contacted: Type.Boolean({ description: 'The upstream answered.' }),
    message: Type.String(),
    licenses: Type.Array(
      Type.Object(
        {
          key: Type.String(),
          licenseId: Type.Union([Type.String(), Type.Null()]),
          result: Type.Enum(FETCH_RESULTS),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
export type FetchOutcome = Static<typeof FetchOutcomeSchema>;

export function fetchMessage(contacted: boolean, fetched: number): string {
  if (!contacted || fetched === 0) return FETCH_UNAVAILABLE;
  return `Fetched ${String(fetched)} license${fetched === 1 ? '' : 's'} from the license server.`;
}

/** The part of an upstream license an appliance keeps a copy of (what its validation reads). */
export const RemoteLicenseSchema = Type.Object({
  id: Type.String(),
  key: Type.String(),
  productId: Type.Union([Type.Integer(), Type.Null()]),
  kind: LicenseIssueSchema.properties.kind,
  term: LicenseIssueSchema.properties.term,
  state: Type.Enum(LICENSE_STATES),
  service: Type.Union([Type.String(), Type.Null()]),
  group: Type.Union([Type.String(), Type.Null()]),
  metricId: Type.Union([Type.Integer(), Type.Null()]),
  quantity: Type.Number(),
  features: Type.Array(Type.String()),
  baseLicense: Type.Boolean(),
  description: Type.String(),
  startsAt: NullableDateTime,
  expiresAt: NullableDateTime,
  graceDays: Type.Integer(),
  seatLimit: Type.Union([Type.Integer(), Type.Null()]),
  orderId: Type.Union([Type.String(), Type.Null()]),
  sku: Type.Union([Type.String(), Type.Null()]),
});
export type RemoteLicense = Static<typeof RemoteLicenseSchema>;

export const RemoteProductSchema = Type.Object({
  id: Type.Integer(),
  slug: ProductSchema.properties.slug,
  name: ProductSchema.properties.name,
  group: ProductSchema.properties.group,
  description: ProductSchema.properties.description,
  features: Type.Array(
    Type.Object({
      id: ProductSchema.properties.features.items.properties.id,
      name: ProductSchema.properties.features.items.properties.name,
    }),
  ),
  metrics: ProductSchema.properties.metrics,
});
export type RemoteProduct = Static<typeof RemoteProductSchema>;

/** The label that ties a local copy to its upstream license. */
export const UPSTREAM_LABEL = 'entitle.upstream/license-id';

export type MirroredFacts = Pick<
  RemoteLicense,
  | 'kind'
  | 'term'
  | 'state'
  | 'service'
  | 'group'
  | 'metricId'
  | 'quantity'
  | 'features'
  | 'baseLicense'
  | 'description'
  | 'startsAt'
  | 'expiresAt'
  | 'graceDays'
  | 'seatLimit'
  | 'orderId'
  | 'sku'
>;

/** What the local copy takes from the upstream license; its product is mapped by the caller. */
export function mirroredFacts(remote: RemoteLicense): MirroredFacts {
  return {
    kind: remote.kind ?? 'node',
    term: remote.term ?? 'PERPETUAL',
    state: remote.state,
    service: remote.service,
    group: remote.group,
    metricId: remote.metricId,
    quantity: remote.quantity,
    features: remote.features,
    baseLicense: remote.baseLicense,
    description: remote.description,
    startsAt: remote.startsAt,
    expiresAt: remote.expiresAt,
    graceDays: remote.graceDays,
    seatLimit: remote.seatLimit,
    orderId: remote.orderId,
    sku: remote.sku,
  };
}

/** The fields where the local copy differs from the upstream's (empty: nothing to update). */
export function changedFacts(local: MirroredFacts, remote: MirroredFacts): (keyof MirroredFacts)[] {
  return (Object.keys(remote) as (keyof MirroredFacts)[]).filter(
    (field) => JSON.stringify(local[field]) !== JSON.stringify(remote[field]),
  );
}
