import { resolve } from 'node:path';

/**
 * Server configuration: flags beat environment variables, which beat defaults.
 * Every value is checked here, so a bad setting stops the process with one clear line.
 */
export interface Config {
  port: number;
  host: string;
  dataDir: string;
  /** `sqlite:<path>` (default: <dataDir>/entitle.db) or `postgres://…`. */
  databaseUrl: string;
  /** Connections per process to PostgreSQL (unused on SQLite, which has one connection). */
  databasePoolSize: number;
  logLevel: LogLevel;
  bodyLimitBytes: number;
  token: TokenConfig;
  /** Secret keying the check value of native license keys; generated (0600) on first start. */
  licenseKeySecretFile: string;
  /** Days raw usage records are kept (aggregates are kept for good). */
  usageRetentionDays: number;
  /** Days finished webhook deliveries and their attempts are kept (pending ones always are). */
  webhookRetentionDays: number;
  /** Whether `serve` runs the scheduled jobs in-process (`--no-jobs` / ENTITLE_JOBS=false). */
  jobs: boolean;
  /** API requests per minute per token (or address); 0: no API-wide limit. */
  rateLimitPerMinute: number;
}

export interface TokenConfig {
  issuer: string;
  audience: string;
  /** HS256 secret file; generated with mode 0600 on first start. */
  secretFile: string;
  /** PEM private key (PKCS#8, Ed25519/RSA/EC): signs with EdDSA/RS256/ES256 instead of HS256. */
  privateKeyFile?: string | undefined;
  /** PEM public key (SPKI): verifies tokens another party signs with the matching private key. */
  publicKeyFile?: string | undefined;
  /** An external issuer's JWKS URL: tokens are verified against it and cannot be minted here. */
  jwksUrl?: string | undefined;
}

/** 100 requests a second per token, sustained over a minute: far above any honest client. */
export const DEFAULT_RATE_LIMIT_PER_MINUTE = 6000;

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Names of the environment variables, with the flag that overrides each. */
export const ENVIRONMENT = {
  port: 'ENTITLE_PORT',
  host: 'ENTITLE_HOST',
  dataDir: 'ENTITLE_DATA_DIR',
  databaseUrl: 'ENTITLE_DATABASE_URL',
  databasePoolSize: 'ENTITLE_DATABASE_POOL_SIZE',
  logLevel: 'ENTITLE_LOG_LEVEL',
  bodyLimitBytes: 'ENTITLE_BODY_LIMIT',
  tokenIssuer: 'ENTITLE_TOKEN_ISSUER',
  tokenAudience: 'ENTITLE_TOKEN_AUDIENCE',
  tokenSecretFile: 'ENTITLE_TOKEN_SECRET_FILE',
  tokenPrivateKeyFile: 'ENTITLE_TOKEN_PRIVATE_KEY_FILE',
  tokenPublicKeyFile: 'ENTITLE_TOKEN_PUBLIC_KEY_FILE',
  tokenJwksUrl: 'ENTITLE_TOKEN_JWKS_URL',
  licenseKeySecretFile: 'ENTITLE_LICENSE_KEY_SECRET_FILE',
  usageRetentionDays: 'ENTITLE_USAGE_RETENTION_DAYS',
  webhookRetentionDays: 'ENTITLE_WEBHOOK_RETENTION_DAYS',
  jobs: 'ENTITLE_JOBS',
  rateLimitPerMinute: 'ENTITLE_RATE_LIMIT',
} as const;

export type ConfigOverrides = Partial<Record<keyof typeof ENVIRONMENT, string | undefined>>;

export class ConfigError extends Error {}

export function loadConfig(
  overrides: ConfigOverrides = {},
  env: NodeJS.ProcessEnv = process.env,
): Config {
  const pick = (key: keyof typeof ENVIRONMENT): string | undefined => {
    const value = overrides[key] ?? env[ENVIRONMENT[key]];
    return value === undefined || value === '' ? undefined : value;
  };
  const dataDir = resolve(pick('dataDir') ?? './data');
  const port = integer('port', pick('port') ?? '8080', 0, 65535);
  const logLevel = pick('logLevel') ?? 'info';
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) {
    throw new ConfigError(`log level must be one of ${LOG_LEVELS.join(', ')}, got '${logLevel}'`);
  }
  const jwksUrl = pick('tokenJwksUrl');
  if (jwksUrl !== undefined && !/^https?:\/\//.test(jwksUrl)) {
    throw new ConfigError(`token JWKS URL must be an http(s) URL, got '${jwksUrl}'`);
  }
  const jobs = pick('jobs') ?? 'true';
  if (jobs !== 'true' && jobs !== 'false') {
    throw new ConfigError(`jobs must be true or false, got '${jobs}'`);
  }
  return {
    port,
    jobs: jobs === 'true',
    host: pick('host') ?? '0.0.0.0',
    dataDir,
    databaseUrl: databaseUrl(pick('databaseUrl'), dataDir),
    databasePoolSize: integer('database pool size', pick('databasePoolSize') ?? '10', 1, 1000),
    logLevel: logLevel as LogLevel,
    bodyLimitBytes: integer('body limit', pick('bodyLimitBytes') ?? '1048576', 1024, 1 << 30),
    rateLimitPerMinute: integer(
      'rate limit per minute',
      pick('rateLimitPerMinute') ?? String(DEFAULT_RATE_LIMIT_PER_MINUTE),
      0,
      100_000_000,
    ),
    licenseKeySecretFile: resolve(pick('licenseKeySecretFile') ?? `${dataDir}/license-key-secret`),
    usageRetentionDays: integer(
      'usage retention days',
      pick('usageRetentionDays') ?? '90',
      1,
      36500,
    ),
    webhookRetentionDays: integer(
      'webhook retention days',
      pick('webhookRetentionDays') ?? '30',
      1,
      36500,
    ),
    token: {
      issuer: pick('tokenIssuer') ?? 'entitle',
      audience: pick('tokenAudience') ?? 'entitle',
      secretFile: resolve(pick('tokenSecretFile') ?? `${dataDir}/token-secret`),
      privateKeyFile: optionalPath(pick('tokenPrivateKeyFile')),
      publicKeyFile: optionalPath(pick('tokenPublicKeyFile')),
      jwksUrl,
    },
  };
}

/** The SQLite file a `sqlite:` URL names. */
export function sqliteFile(databaseUrl: string): string {
  return databaseUrl.slice('sqlite:'.length);
}

/** Whether a database URL names a PostgreSQL server. */
export function isPostgresUrl(databaseUrl: string): boolean {
  return /^postgres(ql)?:\/\//.test(databaseUrl);
}

function databaseUrl(value: string | undefined, dataDir: string): string {
  if (value === undefined) return `sqlite:${resolve(dataDir, 'entitle.db')}`;
  if (value.startsWith('sqlite:')) return `sqlite:${resolve(value.slice('sqlite:'.length))}`;
  if (isPostgresUrl(value)) {
    try {
      new URL(value);
    } catch {
      throw new ConfigError(`database URL is not a valid postgres:// URL: '${redactUrl(value)}'`);
    }
    return value;
  }
  throw new ConfigError(`database URL must start with sqlite: or postgres://, got '${value}'`);
}

/** The URL with its password hidden, for logs and messages. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
}

function optionalPath(value: string | undefined): string | undefined {
  return value === undefined ? undefined : resolve(value);
}

function integer(name: string, text: string, min: number, max: number): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < min || value > max) {
    throw new ConfigError(
      `${name} must be an integer from ${String(min)} to ${String(max)}, got '${text}'`,
    );
  }
  return value;
}
