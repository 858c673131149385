#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { Command, InvalidArgumentError, Option } from 'commander';
import { ConfigError, loadConfig, type ConfigOverrides } from '../config.js';
import { systemClock } from '../domain/clock.js';
import { DomainError } from '../domain/errors.js';
import { ROLES, systemPrincipal, type Role } from '../domain/principal.js';
import type * as Runtime from '../runtime.js';
import { parseDuration } from './duration.js';
import { usageExits } from './client/context.js';
import { registerClientCommands } from './client/index.js';
import { registerUserCommands } from './users.js';
import { registerDataCommands } from './data.js';

/** The store and the services, loaded on demand: client commands start without them. */
const runtime = (): Promise<typeof Runtime> => import('../runtime.js');
const VERSION = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  }
).version;

// Usage mistakes exit 2 for every command, server ones too (set first: commands inherit it).
const program = usageExits(
  new Command()
    .name('entitle')
    .description('Entitle license and subscription server')
    .version(VERSION)
    .showHelpAfterError(),
);

/** Flags shared by every command that opens the store; each overrides its environment variable. */
function storeOptions(command: Command): Command {
  return command
    .option('--data-dir <dir>', 'data directory (ENTITLE_DATA_DIR, default ./data)')
    .option(
      '--database-url <url>',
      'database URL, sqlite:<file> or postgres://… (ENTITLE_DATABASE_URL)',
    )
    .option('--token-secret-file <file>', 'HS256 token secret (ENTITLE_TOKEN_SECRET_FILE)')
    .option(
      '--token-private-key-file <file>',
      'PEM private key for EdDSA/RS256/ES256 tokens (ENTITLE_TOKEN_PRIVATE_KEY_FILE)',
    )
    .option(
      '--token-public-key-file <file>',
      'PEM public key to verify tokens (ENTITLE_TOKEN_PUBLIC_KEY_FILE)',
    )
    .option('--token-jwks-url <url>', "an external issuer's JWKS URL (ENTITLE_TOKEN_JWKS_URL)");
}

interface StoreFlags {
  dataDir?: string;
  databaseUrl?: string;
  tokenSecretFile?: string;
  tokenPrivateKeyFile?: string;
  tokenPublicKeyFile?: string;
  tokenJwksUrl?: string;
}

interface ServeFlags extends StoreFlags {
  port?: string;
  host?: string;
  logLevel?: string;
  /** false with --no-jobs. */
  jobs?: boolean;
  rateLimit?: string;
}

function overridesOf(flags: ServeFlags): ConfigOverrides {
  return {
    dataDir: flags.dataDir,
    databaseUrl: flags.databaseUrl,
    tokenSecretFile: flags.tokenSecretFile,
    tokenPrivateKeyFile: flags.tokenPrivateKeyFile,
    tokenPublicKeyFile: flags.tokenPublicKeyFile,
    tokenJwksUrl: flags.tokenJwksUrl,
    port: flags.port,
    host: flags.host,
    logLevel: flags.logLevel,
    jobs: flags.jobs === false ? 'false' : undefined,
    rateLimitPerMinute: flags.rateLimit,
  };
}

storeOptions(
  program
    .command('serve')
    .description('run the HTTP server (migrates the database first)')
    .option('--port <port>', 'TCP port (ENTITLE_PORT, default 8080)')
    .option('--host <host>', 'listen address (ENTITLE_HOST, default 0.0.0.0)')
    .option('--log-level <level>', 'fatal|error|warn|info|debug|trace|silent (ENTITLE_LOG_LEVEL)')
    .option('--no-jobs', 'do not run the scheduled jobs here (ENTITLE_JOBS=false)')
    .option(
      '--rate-limit <n>',
      'API requests per minute per token or address, 0 for none (ENTITLE_RATE_LIMIT, default 6000)',
    ),
).action(async (flags: ServeFlags) => {
  // Loaded only to serve: the other commands start faster without the HTTP stack.
  const { startServer } = await import('../server.js');
  const server = await startServer(loadConfig(overridesOf(flags)), (line) => {
    process.stdout.write(`${line}\n`);
  });
  const stop = (signal: string) => {
    server.app.log.info({ signal }, 'shutting down');
    server.close().then(
      () => process.exit(0),
      (error: unknown) => {
        server.app.log.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
});

storeOptions(
  program
    .command('worker')
    .description('run the scheduled jobs without the HTTP server (expiry, webhooks, upstream)')
    .option('--log-level <level>', 'fatal|error|warn|info|debug|trace|silent (ENTITLE_LOG_LEVEL)'),
).action(async (flags: ServeFlags) => {
  const { startWorker } = await import('../worker.js');
  const worker = await startWorker(loadConfig(overridesOf(flags)));
  const stop = () => {
    worker.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
});

storeOptions(program.command('migrate').description('bring the database schema up to date')).action(
  async (flags: StoreFlags) => {
    const store = await (
      await runtime()
    ).openStore(loadConfig(overridesOf(flags)), { migrate: false });
    try {
      const results = await store.migrate();
      process.stdout.write(
        results.length === 0
          ? 'database is up to date\n'
          : results.map((r) => `${r.status}: ${r.migrationName}\n`).join(''),
      );
    } finally {
      await store.close();
    }
  },
);

const token = program.command('token').description('bearer tokens');
storeOptions(
  token
    .command('create')
    .description('mint a bearer token and print it (only its hash is stored)')
    .addOption(
      new Option('--role <role>', 'role of the token').choices(ROLES).makeOptionMandatory(),
    )
    .requiredOption('--accounts <ids>', "comma-separated account ids, or '*' for operators")
    .option('--subject <sub>', 'who the token is for', 'cli')
    .option('--instance <id>', 'the instance an instance token is bound to')
    .addOption(new Option('--typ <typ>', 'token type').choices(['user', 'service']))
    .option('--ttl <duration>', 'lifetime: 3600, 90m, 12h, 30d', parseTtl, 30 * 86400),
).action(
  async (
    flags: StoreFlags & {
      role: Role;
      accounts: string;
      subject: string;
      instance?: string;
      typ?: 'user' | 'service';
      ttl: number;
    },
  ) => {
    const config = loadConfig(overridesOf(flags));
    const store = await (await runtime()).openStore(config);
    try {
      const issued = await (await runtime()).servicesFor(config, store).tokens.issue(
        { principal: systemPrincipal, requestId: null, clock: systemClock },
        {
          subject: flags.subject,
          role: flags.role,
          accounts: flags.accounts === '*' ? '*' : flags.accounts.split(',').map((id) => id.trim()),
          typ: flags.typ,
          instance: flags.instance,
          ttlSeconds: flags.ttl,
        },
      );
      process.stdout.write(`${issued.token}\n`);
      process.stderr.write(`token ${issued.id} expires ${issued.expiresAt}\n`);
    } finally {
      await store.close();
    }
  },
);

const keys = program.command('keys').description('the Ed25519 keys that sign license certificates');
storeOptions(
  keys
    .command('rotate')
    .description('make a new signing key; old keys stay published until their certificates expire'),
).action(async (flags: StoreFlags) => {
  const config = loadConfig(overridesOf(flags));
  const store = await (await runtime()).openStore(config);
  try {
    const rotation = await (await runtime()).servicesFor(config, store).signingKeys.rotate({
      principal: systemPrincipal,
      requestId: null,
      clock: systemClock,
    });
    process.stdout.write(`${rotation.kid}\n`);
    for (const kid of rotation.retired) process.stderr.write(`retired ${kid}\n`);
  } finally {
    await store.close();
  }
});
storeOptions(keys.command('list').description('list signing keys, newest first')).action(
  async (flags: StoreFlags) => {
    const config = loadConfig(overridesOf(flags));
    const store = await (await runtime()).openStore(config);
    try {
      const rows = await (await runtime()).servicesFor(config, store).signingKeys.list({
        principal: systemPrincipal,
        requestId: null,
        clock: systemClock,
      });
      process.stdout.write('KID\tCREATED\tRETIRED\tPUBLISHED-UNTIL\n');
      for (const key of rows) {
        const until = key.retiredAt === null ? 'current' : key.published ? key.signedUntil : '-';
        process.stdout.write(
          `${key.kid}\t${key.createdAt}\t${key.retiredAt ?? '-'}\t${until ?? '-'}\n`,
        );
      }
    } finally {
      await store.close();
    }
  },
);

/** Service field names, as the flags a CLI user typed. */
const FLAG_OF: Record<string, string> = {
  subject: '--subject',
  role: '--role',
  accounts: '--accounts',
  instance: '--instance',
  ttlSeconds: '--ttl',
  typ: '--typ',
};

function parseTtl(value: string): number {
  const seconds = parseDuration(value);
  if (seconds === null)
    throw new InvalidArgumentError('use seconds or a number with s, m, h or d, e.g. 30d');
  return seconds;
}

registerClientCommands(program);
registerUserCommands(program, storeOptions, (flags) => loadConfig(overridesOf(flags)));
registerDataCommands(program, storeOptions, (flags) => loadConfig(overridesOf(flags)));

program.parseAsync().catch((error: unknown) => {
  if (error instanceof ConfigError) {
    process.stderr.write(`entitle: configuration error: ${error.message}\n`);
  } else if (error instanceof DomainError && error.issues.length > 0) {
    const lines = error.issues.map(
      (issue) => `\n  ${FLAG_OF[issue.name] ?? issue.name}: ${issue.reason}`,
    );
    process.stderr.write(`entitle: invalid options:${lines.join('')}\n`);
  } else if (error instanceof DomainError) {
    process.stderr.write(`entitle: ${error.message}\n`);
  } else {
    process.stderr.write(`entitle: ${error instanceof Error ? error.message : String(error)}\n`);
  }
  process.exit(1);
});
