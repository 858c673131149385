import {
  createHash,
  createHmac,
  randomBytes,
  randomUUID,
  scrypt,
  timingSafeEqual,
} from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { promisify } from 'node:util';
import type { Clock } from '../domain/clock.js';
import { Conflict, InvalidFields, NotFound } from '../domain/errors.js';
import { accountScope, requireRole, systemPrincipal } from '../domain/principal.js';
import { parseListQuery, type RawListParams } from '../domain/query.js';
import {
  checkUserInput,
  failureKeys,
  formatPasswordHash,
  hintOf,
  InvalidCredentials,
  LOGIN_TOKEN_TTL_SECONDS,
  LoginThrottled,
  MAX_FAILURES_PER_ADDRESS,
  MAX_FAILURES_PER_USERNAME,
  parsePasswordHash,
  retryAfterCounted,
  retryAfterSeconds,
  staleWindowStart,
  SCRYPT,
  type AccessCode,
  type FailureWindow,
  type User,
  type UserInput,
} from '../domain/user.js';
import { missingAccounts } from '../store/accounts.repository.js';
import type { Store, Tx } from '../store/database.js';
import { isUniqueViolation } from '../store/errors.js';
import { findInstance } from '../store/instances.repository.js';
import type { Page } from '../store/list.js';
import {
  clearFailures,
  countAttempt,
  deleteUser,
  findAccessCode,
  findAccessCodeByHash,
  findFailures,
  findUser,
  insertAccessCode,
  insertUser,
  listAccessCodes,
  listUsers,
  markAccessCode,
  recordSession,
  revokeSession,
  revokeSessionsOf,
  uncountAttempt,
  updatePassword,
  usersCollection,
  type UserRecord,
} from '../store/users.repository.js';
import { recordChange } from './audit.js';
import type { ServiceContext } from './context.js';
import type { IssuedToken, TokenService } from './tokens.js';

const scryptAsync = promisify(scrypt) as (
  password: string,
  salt: Buffer,
  keyLength: number,
  options: { N: number; r: number; p: number; maxmem: number },
) => Promise<Buffer>;

/** 64 MiB: room for the cost of any hash this server wrote (N × r × 128 bytes, 16 MiB today). */
const SCRYPT_MAXMEM = 64 * 1024 * 1024;

async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SCRYPT.saltLength);
  const hash = await scryptAsync(password, salt, SCRYPT.keyLength, {
    N: SCRYPT.N,
    r: SCRYPT.r,
    p: SCRYPT.p,
    maxmem: SCRYPT_MAXMEM,
  });
  return formatPasswordHash({ N: SCRYPT.N, r: SCRYPT.r, p: SCRYPT.p, salt, hash });
}

/**
 * Checked against unknown usernames too, so that a wrong name costs the same time as a wrong
 * password and the answer's timing does not tell which names exist.
 */
const DUMMY_HASH = formatPasswordHash({
  N: SCRYPT.N,
  r: SCRYPT.r,
  p: SCRYPT.p,
  salt: Buffer.alloc(SCRYPT.saltLength, 1),
  hash: Buffer.alloc(SCRYPT.keyLength, 2),
});

async function passwordMatches(password: string, stored: string): Promise<boolean> {
  const parsed = parsePasswordHash(stored);
  if (parsed === null) return false;
  const candidate = await scryptAsync(password, parsed.salt, parsed.hash.length, {
    N: parsed.N,
    r: parsed.r,
    p: parsed.p,
    maxmem: SCRYPT_MAXMEM,
  });
  return candidate.length === parsed.hash.length && timingSafeEqual(candidate, parsed.hash);
}

/** Whether a user may log in for the account the credentials name (BlackBerry's tenant). */
function inAccount(record: UserRecord, credentials: Credentials): boolean {
  return credentials.account === undefined || record.user.accountId === credentials.account;
}

/** The windows a password attempt counts in: its username's and its address's. */
function passwordLimits(keys: { user: string; address: string }): { key: string; max: number }[] {
  return [
    { key: keys.user, max: MAX_FAILURES_PER_USERNAME },
    { key: keys.address, max: MAX_FAILURES_PER_ADDRESS },
  ];
}

/** 429 for as long as the longest of these waits (seconds; null: that window allows one more). */
function refuseWhileThrottled(waits: readonly (number | null)[]): void {
  const wait = Math.max(0, ...waits.map((w) => w ?? 0));
  if (wait > 0) throw new LoginThrottled(wait);
}

/** How long request credentials, once proven, are recognized without scrypt. */
const PROVEN_TTL_MS = 5 * 60_000;

function sha256(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}

/** Who is trying to log in, and from where (the address the throttle counts). */
export interface Credentials {
  username: string;
  password: string;
  address: string;
  /** The account the login is for (BlackBerry's tenant): a user of another one is refused. */
  account?: string;
}

export interface LoginResult {
  user: User;
  token: IssuedToken;
}

export interface IssuedAccessCode extends AccessCode {
  /** The code itself: shown in this answer only, only its hash is stored. */
  code: string;
}

/**
 * Local users (operators manage them) and the login use cases every vendor front door calls:
 * check a password (throttled per username and per address), issue a session token, revoke it.
 */
export function userService(store: Store, tokens: TokenService) {
  async function mustFind(db: Tx, username: string): Promise<UserRecord> {
    const record = await findUser(db, username);
    if (record === undefined) throw new NotFound('User', username);
    return record;
  }

  /**
   * Counts this attempt under each key before any password is checked, in one transaction of
   * atomic upserts (a hundred concurrent guesses see each other), and refuses it (429) when the
   * attempts before it used up a window. Answers the windows as counted.
   */
  async function admitAttempt(
    limits: readonly { key: string; max: number }[],
    now: Date,
  ): Promise<FailureWindow[]> {
    const at = now.toISOString();
    const staleAt = staleWindowStart(now).toISOString();
    const windows = await store.transaction('user.login-attempt', async (tx) => {
      const counted: FailureWindow[] = [];
      for (const { key } of limits) counted.push(await countAttempt(tx, key, at, staleAt));
      return counted;
    });
    refuseWhileThrottled(
      limits.map(({ max }, i) => {
        const window = windows[i];
        return window === undefined ? null : retryAfterCounted(window, max, now);
      }),
    );
    return windows;
  }

  /**
   * The stored user these credentials prove, after the throttle has admitted the attempt. A
   * failure stays counted; a success clears the username's window and is taken back from the
   * address's.
   */
  async function checkPassword(credentials: Credentials, clock: Clock): Promise<UserRecord> {
    const keys = failureKeys(credentials.username, credentials.address);
    const [, addressWindow] = await admitAttempt(passwordLimits(keys), clock.now());
    const record = await store.read((db) => findUser(db, credentials.username));
    const matches = await passwordMatches(credentials.password, record?.passwordHash ?? DUMMY_HASH);
    if (record === undefined || !matches || !inAccount(record, credentials)) {
      throw new InvalidCredentials();
    }
    await store.transaction('user.login-succeeded', async (tx) => {
      await clearFailures(tx, keys.user);
      if (addressWindow !== undefined) {
        await uncountAttempt(tx, keys.address, addressWindow.windowStart);
      }
    });
    return record;
  }

  /** Credentials proven recently, by `provenKey`, and the stored password hash they matched. */
  const proven = new LRUCache<string, string>({ max: 1024, ttl: PROVEN_TTL_MS });
  const provenSecret = randomBytes(32);
  /** Never the password itself, nor a plain hash of it: an HMAC under a key of this process. */
  function provenKey(credentials: Credentials): string {
    return createHmac('sha256', provenSecret)
      .update(`${String(credentials.username.length)}:${credentials.username}`)
      .update(`${credentials.account ?? ''}\0${credentials.password}`)
      .digest('base64url');
  }

  /** Mints the session token of a user, and records the session in the same transaction. */
  function issueSession(user: User, clock: Clock, requestId: string | null): Promise<IssuedToken> {
    const ctx: ServiceContext = {
      principal: { ...systemPrincipal, subject: `login:${user.username}` },
      requestId,
      clock,
    };
    return tokens.issue(
      ctx,
      {
        subject: user.username,
        role: user.role,
        accounts: [user.accountId],
        instance: user.instance ?? undefined,
        ttlSeconds: LOGIN_TOKEN_TTL_SECONDS,
      },
      (tx, issued) =>
        recordSession(tx, {
          tokenId: issued.id,
          username: user.username,
          issuedAt: clock.now().toISOString(),
          expiresAt: issued.expiresAt,
        }),
    );
  }

  const service = {
    async create(ctx: ServiceContext, input: UserInput): Promise<User> {
      requireRole(ctx.principal, ['operator']);
      const issues = checkUserInput(input);
      if (issues.length > 0) throw new InvalidFields(issues);
      const passwordHash = await hashPassword(input.password);
      const now = ctx.clock.now().toISOString();
      const user: User = {
        username: input.username,
        accountId: input.accountId,
        role: input.role,
        instance: input.instance ?? null,
        createdAt: now,
        updatedAt: now,
        passwordChangedAt: now,
      };
      return store.transaction('user.create', async (tx) => {
        if ((await missingAccounts(tx, [input.accountId])).length > 0) {
          throw new InvalidFields([
            { name: 'accountId', reason: `no such account: ${input.accountId}` },
          ]);
        }
        if (input.instance !== undefined) {
          const instance = await findInstance(tx, input.instance);
          if (instance?.accountId !== input.accountId) {
            throw new InvalidFields([
              { name: 'instance', reason: `no instance '${input.instance}' in the account` },
            ]);
          }
        }
        if ((await findUser(tx, input.username)) !== undefined) {
          throw new Conflict(`User '${input.username}' already exists.`, [
            { name: 'username', reason: 'is taken' },
          ]);
        }
        try {
          await insertUser(tx, user, passwordHash);
        } catch (error) {
          // Another process created the same name between the check and the insert.
          if (isUniqueViolation(error))
            throw new Conflict(`User '${input.username}' already exists.`);
          throw error;
        }
        await recordChange(tx, ctx, {
          type: 'user.created',
          accountId: user.accountId,
          resourceType: 'user',
          resourceId: user.username,
          after: user,
        });
        return user;
      });
    },

    list(ctx: ServiceContext, params: RawListParams): Promise<Page<User>> {
      requireRole(ctx.principal, ['operator']);
      const query = parseListQuery(usersCollection, params);
      return store.read((db) => listUsers(db, accountScope(ctx.principal), query));
    },

    async get(ctx: ServiceContext, username: string): Promise<User> {
      requireRole(ctx.principal, ['operator']);
      const record = await store.read((db) => findUser(db, username));
      if (record === undefined) throw new NotFound('User', username);
      return record.user;
    },

    /** Sets a new password and revokes every session the old one opened. */
    async rotatePassword(ctx: ServiceContext, username: string, password: string): Promise<User> {
      requireRole(ctx.principal, ['operator']);
      const passwordHash = await hashPassword(password);
      const now = ctx.clock.now().toISOString();
      return store.transaction('user.rotate-password', async (tx) => {
        const { user } = await mustFind(tx, username);
        await updatePassword(tx, username, passwordHash, now);
        const revoked = await revokeSessionsOf(tx, username, now);
        const next: User = { ...user, updatedAt: now, passwordChangedAt: now };
        await recordChange(tx, ctx, {
          type: 'user.password-rotated',
          accountId: user.accountId,
          resourceType: 'user',
          resourceId: username,
          after: { ...next, revokedSessions: revoked },
        });
        return next;
      });
    },

    /** Deletes a user, its access codes, and revokes its sessions. */
    async remove(ctx: ServiceContext, username: string): Promise<void> {
      requireRole(ctx.principal, ['operator']);
      const now = ctx.clock.now().toISOString();
      await store.transaction('user.delete', async (tx) => {
        const { user } = await mustFind(tx, username);
        await revokeSessionsOf(tx, username, now);
        await deleteUser(tx, username);
        await recordChange(tx, ctx, {
          type: 'user.deleted',
          accountId: user.accountId,
          resourceType: 'user',
          resourceId: username,
          before: user,
        });
      });
    },

    /**
     * The user these credentials belong to. Failures count against the username and the
     * address; past either limit every attempt is refused (429) until the window ends.
     */
    async checkCredentials(credentials: Credentials, clock: Clock): Promise<User> {
      return (await checkPassword(credentials, clock)).user;
    },

    /**
     * Credentials sent with every request (NetProfiler's HTTP Basic): checked like a login the
     * first time, then recognized by a keyed hash for a few minutes without running scrypt again
     * (~65 ms of CPU each), as long as the stored password hash is still the one they matched —
     * read on every request, so a rotation or a deletion refuses them at once, in every process.
     * The throttle still holds: were proven credentials let through while their username is
     * throttled, a guesser would learn the right password from the one answer that is not 429.
     */
    async authenticateRequest(credentials: Credentials, clock: Clock): Promise<User> {
      const key = provenKey(credentials);
      const matched = proven.get(key);
      if (matched !== undefined) {
        const limits = passwordLimits(failureKeys(credentials.username, credentials.address));
        const { record, windows } = await store.read(async (db) => ({
          record: await findUser(db, credentials.username),
          windows: await findFailures(
            db,
            limits.map(({ key }) => key),
          ),
        }));
        const now = clock.now();
        refuseWhileThrottled(
          limits.map(({ key, max }) => retryAfterSeconds(windows.get(key), max, now)),
        );
        if (record?.passwordHash === matched && inAccount(record, credentials)) return record.user;
        proven.delete(key);
      }
      const record = await checkPassword(credentials, clock);
      proven.set(key, record.passwordHash);
      return record.user;
    },

    /** A vendor login: checks the password and issues a session token with the user's claims. */
    async login(
      credentials: Credentials,
      clock: Clock,
      requestId: string | null,
    ): Promise<LoginResult> {
      const user = await service.checkCredentials(credentials, clock);
      return { user, token: await issueSession(user, clock, requestId) };
    },

    /**
     * Ends a session at once: the token's session is revoked in the database (every process
     * refuses it within REVOCATION_RECHECK_MS; this one immediately).
     */
    async logout(ctx: ServiceContext, token: string): Promise<void> {
      const tokenId = ctx.principal.tokenId;
      tokens.forget(token);
      if (tokenId === undefined) return;
      await store.transaction('user.logout', (tx) =>
        revokeSession(tx, tokenId, ctx.clock.now().toISOString()),
      );
    },

    /** Issues a NetProfiler OAuth access code for a user; the code is shown once. */
    async issueAccessCode(ctx: ServiceContext, username: string): Promise<IssuedAccessCode> {
      requireRole(ctx.principal, ['operator']);
      const code = randomBytes(32).toString('base64url');
      const record: AccessCode = {
        id: `ac_${randomUUID()}`,
        username,
        hint: hintOf(code),
        createdAt: ctx.clock.now().toISOString(),
        lastUsedAt: null,
        revokedAt: null,
      };
      return store.transaction('user.access-code.issue', async (tx) => {
        const { user } = await mustFind(tx, username);
        await insertAccessCode(tx, record, sha256(code));
        await recordChange(tx, ctx, {
          type: 'user.access-code-issued',
          accountId: user.accountId,
          resourceType: 'access-code',
          resourceId: record.id,
          after: record,
        });
        return { ...record, code };
      });
    },

    async listAccessCodes(ctx: ServiceContext, username: string): Promise<AccessCode[]> {
      requireRole(ctx.principal, ['operator']);
      return store.read(async (db) => {
        if ((await findUser(db, username)) === undefined) throw new NotFound('User', username);
        return listAccessCodes(db, username);
      });
    },

    async revokeAccessCode(ctx: ServiceContext, username: string, id: string): Promise<AccessCode> {
      requireRole(ctx.principal, ['operator']);
      const now = ctx.clock.now().toISOString();
      return store.transaction('user.access-code.revoke', async (tx) => {
        const { user } = await mustFind(tx, username);
        const code = await findAccessCode(tx, username, id);
        if (code === undefined) throw new NotFound('Access code', id);
        if (code.revokedAt !== null) return code;
        await markAccessCode(tx, id, { revokedAt: now });
        const next = { ...code, revokedAt: now };
        await recordChange(tx, ctx, {
          type: 'user.access-code-revoked',
          accountId: user.accountId,
          resourceType: 'access-code',
          resourceId: id,
          before: code,
          after: next,
        });
        return next;
      });
    },

    /**
     * NetProfiler's OAuth exchange: a live access code yields a session token of its user. Bad
     * codes count as failed logins of the address.
     */
    async exchangeAccessCode(
      code: string,
      address: string,
      clock: Clock,
      requestId: string | null,
    ): Promise<LoginResult> {
      const keys = failureKeys('', address);
      const now = clock.now();
      const [addressWindow] = await admitAttempt(
        [{ key: keys.address, max: MAX_FAILURES_PER_ADDRESS }],
        now,
      );
      const found = await store.read(async (db) => {
        const accessCode = await findAccessCodeByHash(db, sha256(code));
        if (accessCode === undefined || accessCode.revokedAt !== null) return undefined;
        return findUser(db, accessCode.username).then((user) =>
          user === undefined ? undefined : { accessCode, user: user.user },
        );
      });
      // A bad code stays counted against the address; a good one is taken back.
      if (found === undefined) throw new InvalidCredentials('The access code is not valid.');
      if (addressWindow !== undefined) {
        await store.transaction('user.login-succeeded', (tx) =>
          uncountAttempt(tx, keys.address, addressWindow.windowStart),
        );
      }
      await store.transaction('user.access-code.use', (tx) =>
        markAccessCode(tx, found.accessCode.id, { lastUsedAt: now.toISOString() }),
      );
      return { user: found.user, token: await issueSession(found.user, clock, requestId) };
    },
  };
  return service;
}

export type UserService = ReturnType<typeof userService>;
