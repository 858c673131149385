import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { Command, InvalidArgumentError, type CommanderError } from 'commander';
import { Entitle, EntitleError } from '#sdk';
import { colours } from './output.js';

/** Exit codes of the client commands, documented in `--help` and docs/cli.md. */
export const EXIT = { ok: 0, failed: 1, usage: 2, notFound: 3, auth: 4 } as const;

export const EXIT_CODES_HELP = `
Exit codes:
  0  ok
  1  failed (the server refused the request, a row or record failed, a verdict was not valid)
  2  usage error (bad arguments or options, no server configured)
  3  not found
  4  authentication or permission (401, 403)`;

/** A mistake in how the command was called: printed as is, exit 2. */
export class UsageError extends Error {}

/** An option parser for counts: a bad value is a usage error (exit 2), reported by commander. */
export function positiveInt(value: string): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number < 1) {
    throw new InvalidArgumentError(`expected a positive integer, got '${value}'`);
  }
  return number;
}

/** The flags every client command reads: global ones from the program, output ones locally. */
export interface ClientFlags {
  url?: string;
  token?: string;
  profile?: string;
  json?: boolean;
  csv?: boolean;
}

export interface Profile {
  url?: string;
  token?: string;
}

export interface ConfigFile {
  current?: string;
  profiles: Record<string, Profile>;
}

/** `$XDG_CONFIG_HOME/entitle/config.json`, or `~/.config/entitle/config.json`. */
export function configPath(): string {
  const base = process.env.XDG_CONFIG_HOME;
  return join(
    base !== undefined && base !== '' ? base : join(homedir(), '.config'),
    'entitle',
    'config.json',
  );
}

export function readConfig(): ConfigFile {
  const path = configPath();
  if (!existsSync(path)) return { profiles: {} };
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as Partial<ConfigFile>;
    return { current: parsed.current, profiles: parsed.profiles ?? {} };
  } catch (error) {
    throw new UsageError(
      `cannot read ${path}: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

/** Writes the config file readable by its owner only: it holds tokens. */
export function writeConfig(config: ConfigFile): void {
  const path = configPath();
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  writeFileSync(path, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  chmodSync(path, 0o600);
}

/** The server and token: flags, then ENTITLE_URL / ENTITLE_TOKEN, then the profile. */
export function resolveTarget(flags: ClientFlags): { url: string; token: string | undefined } {
  const config = readConfig();
  const name = flags.profile ?? process.env.ENTITLE_PROFILE ?? config.current;
  const profile = name === undefined ? undefined : config.profiles[name];
  if (flags.profile !== undefined && profile === undefined) {
    throw new UsageError(`no profile '${flags.profile}' in ${configPath()}`);
  }
  const env = (value: string | undefined) => (value === '' ? undefined : value);
  const url = flags.url ?? env(process.env.ENTITLE_URL) ?? profile?.url;
  const token = flags.token ?? env(process.env.ENTITLE_TOKEN) ?? profile?.token;
  if (url === undefined) {
    throw new UsageError(
      'no server: pass --url, set ENTITLE_URL, or save a profile with `entitle profile set`',
    );
  }
  if (!/^https?:\/\//.test(url))
    throw new UsageError(`--url must start with http:// or https://, got '${url}'`);
  return { url, token };
}

export function clientFor(flags: ClientFlags): Entitle {
  const target = resolveTarget(flags);
  return new Entitle({ url: target.url, token: target.token, retries: 2 });
}

/** The exit code for an error, and prints it: the problem's title, detail and field names. */
export function report(error: unknown): number {
  const c = colours(process.stderr);
  if (error instanceof UsageError) {
    process.stderr.write(`${c.red('entitle:')} ${error.message}\n`);
    return EXIT.usage;
  }
  if (error instanceof EntitleError) {
    const lines = [
      `${c.red('entitle:')} ${error.title}${error.detail === '' ? '' : ` — ${error.detail}`}`,
    ];
    for (const field of error.invalid) lines.push(`  ${c.bold(field.name)}: ${field.reason}`);
    process.stderr.write(`${lines.join('\n')}\n`);
    if (error.status === 404) return EXIT.notFound;
    if (error.status === 401 || error.status === 403) return EXIT.auth;
    return EXIT.failed;
  }
  process.stderr.write(
    `${c.red('entitle:')} ${error instanceof Error ? error.message : String(error)}\n`,
  );
  return EXIT.failed;
}

/** Runs a client action: never a stack trace, always a documented exit code. */
export function action<A extends unknown[]>(
  run: (...args: A) => Promise<number | undefined> | number | undefined,
): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      process.exitCode = (await run(...args)) ?? EXIT.ok;
    } catch (error) {
      process.exitCode = report(error);
    }
  };
}

/** Client commands answer a usage mistake with exit 2 (help and version still exit 0). */
export function usageExits(command: Command): Command {
  return command.exitOverride((error: CommanderError) => {
    process.exit(error.exitCode === 0 ? EXIT.ok : EXIT.usage);
  });
}

/** The flags of a command together with the program's global ones. */
export function flagsOf(command: Command): ClientFlags {
  return command.optsWithGlobals<ClientFlags>();
}

export function newGroup(name: string, description: string): Command {
  return usageExits(new Command(name).description(description))
    .option('--json', 'print JSON')
    .option('--csv', 'print CSV')
    .addHelpText('after', EXIT_CODES_HELP);
}
