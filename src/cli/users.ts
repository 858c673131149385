import { randomBytes } from 'node:crypto';
import { Option, type Command } from 'commander';
import type { Config } from '../config.js';
import { systemClock } from '../domain/clock.js';
import { systemPrincipal } from '../domain/principal.js';
import { USER_ROLES, type UserRole } from '../domain/user.js';
import type { Services } from '../services/index.js';

/** How the caller adds its store flags to a command and turns parsed flags into a config. */
export type StoreOptions = (command: Command) => Command;
export type ConfigOf = (flags: object) => Config;

const system = { principal: systemPrincipal, requestId: null, clock: systemClock };

/** Reads the password from the first line of stdin, or makes one and prints it once. */
async function passwordFrom(flags: { passwordStdin?: boolean }): Promise<string> {
  if (flags.passwordStdin !== true) {
    const generated = randomBytes(18).toString('base64url');
    process.stderr.write(`generated password (shown once): ${generated}\n`);
    return generated;
  }
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const [line = ''] = Buffer.concat(chunks).toString('utf8').split(/\r?\n/);
  return line;
}

/**
 * `entitle users create|list|rotate|delete|access-code|revoke-access-code`: local users of the
 * vendor logins, managed on the server's own store (as `token create` is). Passwords never go on
 * the command line, where `ps` shows them: `--password-stdin`, or one is generated and printed.
 */
export function registerUserCommands(
  program: Command,
  storeOptions: StoreOptions,
  configOf: ConfigOf,
): void {
  const users = program.command('users').description('local users of the vendor logins');

  async function withServices<T>(flags: object, work: (services: Services) => Promise<T>) {
    const config = configOf(flags);
    const { openStore, servicesFor } = await import('../runtime.js');
    const store = await openStore(config);
    try {
      return await work(servicesFor(config, store));
    } finally {
      await store.close();
    }
  }

  storeOptions(
    users
      .command('create <username>')
      .description('create a user bound to an account, a role and (instance role) an instance')
      .requiredOption('--account <id>', 'the account its logins act for')
      .addOption(
        new Option('--role <role>', 'role of its tokens').choices(USER_ROLES).makeOptionMandatory(),
      )
      .option('--instance <id>', 'the instance an instance user is bound to')
      .option('--password-stdin', 'read the password from stdin (else one is generated)'),
  ).action(
    async (
      username: string,
      flags: { account: string; role: UserRole; instance?: string; passwordStdin?: boolean },
    ) => {
      const password = await passwordFrom(flags);
      const user = await withServices(flags, (services) =>
        services.users.create(system, {
          username,
          password,
          accountId: flags.account,
          role: flags.role,
          ...(flags.instance === undefined ? {} : { instance: flags.instance }),
        }),
      );
      process.stdout.write(`${user.username}\n`);
    },
  );

  storeOptions(users.command('list').description('list users')).action(async (flags: object) => {
    const page = await withServices(flags, (services) =>
      services.users.list(system, { limit: '1000' }),
    );
    process.stdout.write('USERNAME\tACCOUNT\tROLE\tINSTANCE\tPASSWORD-CHANGED\n');
    for (const user of page.rows) {
      process.stdout.write(
        `${user.username}\t${user.accountId}\t${user.role}\t${user.instance ?? '-'}\t${user.passwordChangedAt}\n`,
      );
    }
  });

  storeOptions(
    users
      .command('rotate <username>')
      .description('set a new password; the sessions of the old one are revoked')
      .option('--password-stdin', 'read the password from stdin (else one is generated)'),
  ).action(async (username: string, flags: { passwordStdin?: boolean }) => {
    const password = await passwordFrom(flags);
    await withServices(flags, (services) =>
      services.users.rotatePassword(system, username, password),
    );
    process.stdout.write(`${username}\n`);
  });

  storeOptions(users.command('delete <username>').description('delete a user')).action(
    async (username: string, flags: object) => {
      await withServices(flags, (services) => services.users.remove(system, username));
      process.stdout.write(`${username}\n`);
    },
  );

  storeOptions(
    users
      .command('access-code <username>')
      .description('issue a NetProfiler OAuth access code for a user (printed once)'),
  ).action(async (username: string, flags: object) => {
    const issued = await withServices(flags, (services) =>
      services.users.issueAccessCode(system, username),
    );
    process.stdout.write(`${issued.code}\n`);
    process.stderr.write(`access code ${issued.id}\n`);
  });

  storeOptions(
    users.command('revoke-access-code <username> <id>').description('revoke an access code'),
  ).action(async (username: string, id: string, flags: object) => {
    await withServices(flags, (services) => services.users.revokeAccessCode(system, username, id));
    process.stdout.write(`${id}\n`);
  });
}
