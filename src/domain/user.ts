import { Type, type Static } from 'typebox';
import { AccountId } from './account.js';
import { Unauthenticated, type FieldIssue } from './errors.js';
import type { Principal, Role } from './principal.js';

/**
 * Local users: the credentials vendor logins check (HP `/sdn/v2.0/auth`, BlackBerry
 * `util/authorization`, NetProfiler Basic and OAuth access codes). Each user is bound to one
 * account, one role and, for device logins, one instance: a login yields an Entitle token with
 * exactly those claims, so every front door leads to the same identity model.
 */

export const USERNAME_PATTERN = '^[A-Za-z0-9._@-]{1,64}$';
export const MIN_PASSWORD_LENGTH = 8;
export const MAX_PASSWORD_LENGTH = 256;

/** Roles a local user may hold: operators are minted with `entitle token create`, never by login. */
export const USER_ROLES = ['admin', 'viewer', 'service', 'instance'] as const;
export type UserRole = (typeof USER_ROLES)[number];

/** How long a token obtained by a vendor login lives. */
export const LOGIN_TOKEN_TTL_SECONDS = 3600;

export const Username = Type.String({
  pattern: USERNAME_PATTERN,
  description: 'Letters, digits, dot, underscore, at and dash; 1 to 64 characters.',
  examples: ['ctl-admin'],
});

const Password = Type.String({
  minLength: MIN_PASSWORD_LENGTH,
  maxLength: MAX_PASSWORD_LENGTH,
  description: `${String(MIN_PASSWORD_LENGTH)} to ${String(MAX_PASSWORD_LENGTH)} characters. Never returned, never logged.`,
});

export const UserInputSchema = Type.Object(
  {
    username: Username,
    password: Password,
    accountId: AccountId,
    role: Type.Enum(USER_ROLES, { description: 'The role of the tokens its logins yield.' }),
    instance: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 200,
        description:
          'Instance id; required for the instance role (device logins: HP, NetProfiler).',
      }),
    ),
  },
  { additionalProperties: false },
);
export type UserInput = Static<typeof UserInputSchema>;

export const PasswordRotationSchema = Type.Object(
  { password: Password },
  { additionalProperties: false },
);
export type PasswordRotation = Static<typeof PasswordRotationSchema>;

const DateTime = Type.String({ format: 'date-time' });

export const UserSchema = Type.Object(
  {
    username: Username,
    accountId: AccountId,
    role: Type.Enum(USER_ROLES),
    instance: Type.Union([Type.String(), Type.Null()]),
    createdAt: DateTime,
    updatedAt: DateTime,
    passwordChangedAt: DateTime,
  },
  { additionalProperties: false },
);
export type User = Static<typeof UserSchema>;

export const LoginSchema = Type.Object(
  { username: Username, password: Type.String({ minLength: 1, maxLength: MAX_PASSWORD_LENGTH }) },
  { additionalProperties: false },
);
export type Login = Static<typeof LoginSchema>;

export const AccessCodeSchema = Type.Object(
  {
    id: Type.String({ description: 'The access code record id.' }),
    username: Username,
    hint: Type.String({ description: 'The last four characters of the code.' }),
    createdAt: DateTime,
    lastUsedAt: Type.Union([DateTime, Type.Null()]),
    revokedAt: Type.Union([DateTime, Type.Null()]),
  },
  { additionalProperties: false },
);
export type AccessCode = Static<typeof AccessCodeSchema>;

/** Rules a schema cannot say: an instance user names its instance, no other user does. */
export function checkUserInput(input: UserInput): FieldIssue[] {
  const issues: FieldIssue[] = [];
  if (input.role === 'instance' && input.instance === undefined) {
    issues.push({ name: 'instance', reason: 'instance users are bound to one instance' });
  }
  if (input.role !== 'instance' && input.instance !== undefined) {
    issues.push({ name: 'instance', reason: 'only instance users carry an instance' });
  }
  return issues;
}

/** The claims of the tokens a user's logins yield (and the principal of a Basic-auth request). */
export function principalOfUser(user: User): Principal {
  const role: Role = user.role;
  return {
    subject: user.username,
    role,
    accounts: [user.accountId],
    type: role === 'service' || role === 'instance' ? 'service' : 'user',
    instance: user.instance ?? undefined,
  };
}

// ---------------------------------------------------------------------------------------------
// Password hashes

/** scrypt cost parameters: 16 MiB of memory and about 50 ms per hash on one core. */
export const SCRYPT = { N: 16384, r: 8, p: 1, keyLength: 32, saltLength: 16 } as const;

export interface PasswordHash {
  N: number;
  r: number;
  p: number;
  salt: Buffer;
  hash: Buffer;
}

/**
 * The stored form of a password hash: `scrypt$N$r$p$salt$hash` (base64), so that raising the
 * cost later still verifies the hashes made before.
 *
 * @example formatPasswordHash({ N: 16384, r: 8, p: 1, salt, hash }) // 'scrypt$16384$8$1$…$…'
 */
export function formatPasswordHash(hash: PasswordHash): string {
  return [
    'scrypt',
    String(hash.N),
    String(hash.r),
    String(hash.p),
    hash.salt.toString('base64'),
    hash.hash.toString('base64'),
  ].join('$');
}

/** The parts of a stored hash, or null when it is not one this code wrote. */
export function parsePasswordHash(stored: string): PasswordHash | null {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return null;
  const [N, r, p] = parts.slice(1, 4).map(Number);
  const salt = Buffer.from(parts[4] ?? '', 'base64');
  const hash = Buffer.from(parts[5] ?? '', 'base64');
  if (N === undefined || r === undefined || p === undefined) return null;
  if (![N, r, p].every((n) => Number.isInteger(n) && n > 0)) return null;
  if (salt.length === 0 || hash.length === 0) return null;
  return { N, r, p, salt, hash };
}

// ---------------------------------------------------------------------------------------------
// Failed-login throttling

/**
 * Failed logins are counted per username and per client address in fixed windows kept in the
 * database (so that every server process shares them). Past the limit, logins from that name or
 * address are refused until the window ends, even with the right password.
 */
export const LOGIN_WINDOW_SECONDS = 15 * 60;
export const MAX_FAILURES_PER_USERNAME = 5;
export const MAX_FAILURES_PER_ADDRESS = 20;

export interface FailureWindow {
  windowStart: string;
  count: number;
}

/** The window after one more failure at `now`: a stale window starts over. */
export function nextFailureWindow(current: FailureWindow | undefined, now: Date): FailureWindow {
  if (current === undefined || windowEnd(current) <= now.getTime()) {
    return { windowStart: now.toISOString(), count: 1 };
  }
  return { windowStart: current.windowStart, count: current.count + 1 };
}

/** Seconds until a login may be tried again, or null when the window still allows one. */
export function retryAfterSeconds(
  current: FailureWindow | undefined,
  max: number,
  now: Date,
): number | null {
  if (current === undefined) return null;
  const end = windowEnd(current);
  if (end <= now.getTime() || current.count < max) return null;
  return Math.max(1, Math.ceil((end - now.getTime()) / 1000));
}

/**
 * The store counts an attempt before its password is checked (so concurrent attempts cannot all
 * slip under the limit): a window that counts this attempt is refused when the attempts before it
 * used the window up. Seconds to wait, or null when this attempt may go on.
 */
export function retryAfterCounted(counted: FailureWindow, max: number, now: Date): number | null {
  return retryAfterSeconds({ ...counted, count: counted.count - 1 }, max, now);
}

/** Windows that started at or before this moment are over: the next attempt starts a new one. */
export function staleWindowStart(now: Date): Date {
  return new Date(now.getTime() - LOGIN_WINDOW_SECONDS * 1000);
}

function windowEnd(window: FailureWindow): number {
  return new Date(window.windowStart).getTime() + LOGIN_WINDOW_SECONDS * 1000;
}

/** The keys failures are counted under. */
export function failureKeys(username: string, address: string): { user: string; address: string } {
  return { user: `user:${username.toLowerCase()}`, address: `addr:${address}` };
}

/** Wrong username or password: each facade answers it as its own 401. */
export class InvalidCredentials extends Unauthenticated {
  constructor(message = 'The username or password is incorrect.') {
    super(message);
  }
}

/** Too many failed logins for this username or address: 429 with `Retry-After`. */
export class LoginThrottled extends Error {
  readonly statusCode = 429;
  readonly retryAfterSeconds: number;

  constructor(retryAfterSeconds: number) {
    super(
      `Too many failed logins; try again in ${String(retryAfterSeconds)} second${retryAfterSeconds === 1 ? '' : 's'}.`,
    );
    this.name = 'LoginThrottled';
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

// ---------------------------------------------------------------------------------------------
// NetProfiler OAuth assertions

/**
 * The access code inside a NetProfiler OAuth assertion: base64url(`{"alg":"none"}`) + `.` +
 * access code + `.` (an unsigned JWT whose payload is the code). The `none` header is only the
 * envelope: the access code is the secret, checked against its stored hash. Null when the
 * assertion is not of that shape.
 *
 * @example accessCodeOfAssertion('eyJhbGciOiJub25lIn0.abc123.') // 'abc123'
 */
export function accessCodeOfAssertion(assertion: string): string | null {
  const parts = assertion.trim().split('.');
  if (parts.length !== 3) return null;
  const [header = '', code = '', signature = ''] = parts;
  if (signature !== '' || code === '') return null;
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(header, 'base64url').toString('utf8'));
  } catch {
    return null;
  }
  if (typeof decoded !== 'object' || decoded === null) return null;
  if ((decoded as { alg?: unknown }).alg !== 'none') return null;
  return code;
}

/** The last four characters of a secret, to tell several apart in a list. */
export function hintOf(secret: string): string {
  return secret.length <= 4 ? '' : secret.slice(-4);
}
