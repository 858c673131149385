import { existsSync } from 'node:fs';
import { Command, Option } from 'commander';
import {
  action,
  clientFor,
  configPath,
  EXIT,
  EXIT_CODES_HELP,
  flagsOf,
  positiveInt,
  newGroup,
  readConfig,
  UsageError,
  usageExits,
  writeConfig,
  type ClientFlags,
} from './context.js';
import { bashCompletion, zshCompletion } from './completion.js';
import { importLicenses } from './import.js';
import { registerPolicyCommands } from './policies.js';
import { colours, formatOf, printList, printOne } from './output.js';
import { resourceCommand, resourceSpecs } from './resources.js';
import { sendUsage } from './usage.js';

function examples(lines: string[]): string {
  return `\nExamples:\n${lines.map((line) => `  $ ${line}`).join('\n')}`;
}

/**
 * The client side of `entitle`: commands that talk to a running server through the SDK.
 * Registered from src/cli/main.ts with one line.
 */
export function registerClientCommands(program: Command): void {
  program
    .option('--url <url>', 'server URL for client commands (ENTITLE_URL, or the profile)')
    .option('--token <token>', 'bearer token for client commands (ENTITLE_TOKEN, or the profile)')
    .option('--profile <name>', 'profile of the config file to use (ENTITLE_PROFILE)')
    .addHelpText(
      'after',
      `\nClient commands (accounts, products, licenses, policies, leases, subscriptions, usage,\ncompliance, events, webhooks, profile, completion) talk to a running server; config: ${configPath()}\n${EXIT_CODES_HELP}`,
    );

  const groups = new Map<string, Command>();
  for (const spec of resourceSpecs()) {
    const group = resourceCommand(spec);
    groups.set(spec.name, group);
    program.addCommand(group);
  }

  const licenses = groups.get('licenses') as Command;
  licenses
    .command('validate')
    .description('validate a license key online; exit 1 unless the verdict is valid')
    .argument('<key>')
    .option('--instance <id>', 'the instance asking')
    .option('--fingerprint <fp>', 'its machine fingerprint')
    .option('--product <ref>', 'product id or slug the key must license')
    .option('--feature <id>', 'feature the license must enable')
    .addHelpText('after', examples(['entitle licenses validate 8ZHSA-2AQWJ-… --product cvo']))
    .action(
      action(
        async (
          key: string,
          options: { instance?: string; fingerprint?: string; product?: string; feature?: string },
          command: Command,
        ) => {
          const flags = flagsOf(command);
          const verdict = await clientFor(flags).validate(key, {
            instance: options.instance,
            fingerprint: options.fingerprint,
            product: options.product,
            feature: options.feature,
          });
          const format = formatOf(flags);
          if (format === 'table') {
            const c = colours(process.stdout);
            const mark = verdict.valid ? c.green('valid') : c.red('not valid');
            const serial =
              verdict.license === null ? '' : ` (license ${String(verdict.license.serialNumber)})`;
            process.stdout.write(`${mark}: ${verdict.code} — ${verdict.detail}${serial}\n`);
          } else {
            printOne(verdict as unknown as Record<string, unknown>, format);
          }
          return verdict.valid ? EXIT.ok : EXIT.failed;
        },
      ),
    );
  licenses
    .command('revoke')
    .description('revoke a license')
    .argument('<id-or-serial>')
    .addHelpText('after', examples(['entitle licenses revoke 1042']))
    .action(
      action(async (ref: string, _options: unknown, command: Command) => {
        const flags = flagsOf(command);
        printOne(
          (await clientFor(flags).licenses.revoke(ref)) as unknown as Record<string, unknown>,
          formatOf(flags),
        );
        return EXIT.ok;
      }),
    );
  licenses
    .command('certificate')
    .description('print a signed certificate of the license for offline checks')
    .argument('<id-or-serial>')
    .option('--instance <id>', 'bind it to this instance (the license must be activated there)')
    .option('--ttl <seconds>', 'lifetime in seconds (server default 7 days)', positiveInt)
    .addHelpText(
      'after',
      examples([
        'entitle licenses certificate 1042 > license.jws',
        'curl -s $ENTITLE_URL/v1/keys > keys.json   # the public keys, for Entitle.offline()',
      ]),
    )
    .action(
      action(
        async (ref: string, options: { instance?: string; ttl?: number }, command: Command) => {
          const flags = flagsOf(command);
          const issued = await clientFor(flags).licenses.certificate(ref, {
            instance: options.instance,
            ttlSeconds: options.ttl,
          });
          if (formatOf(flags) === 'table') process.stdout.write(`${issued.certificate}\n`);
          else printOne(issued as unknown as Record<string, unknown>, formatOf(flags));
          process.stderr.write(`expires ${issued.expiresAt}\n`);
          return EXIT.ok;
        },
      ),
    );
  licenses
    .command('import')
    .description('import licenses from a CSV file: batched, with progress, resumable')
    .argument('<file.csv>')
    .option('--batch-size <n>', 'licenses per request (1-1000)', positiveInt, 250)
    .option('--account <id>', 'accountId for rows that have none')
    .option('--product <ref>', 'product for rows that have none')
    .option('--restart', 'ignore the state of an earlier run')
    .addHelpText(
      'after',
      `
The CSV has a header row. Columns: serialNumber (required: it makes re-runs safe), accountId,
product, key, kind, term, quantity, metricId, features (separated by ; or |), startsAt,
expiresAt, graceDays, seatLimit, service, group, orderId, sku, description.
A progress bar is drawn on stderr on a terminal; otherwise a progress line every 10 %.
Finished rows are recorded in FILE.csv.import-state: after Ctrl-C or a crash, run the same
command again and it continues; a row the server already has is reported as "exists".
Per-row results: FILE.csv.results.csv (row, serialNumber, result, id, detail).
${examples([
  'entitle licenses import licenses.csv',
  'entitle licenses import licenses.csv --account acme --product cvo --batch-size 500',
])}`,
    )
    .action(
      action(
        async (
          file: string,
          options: { batchSize: number; account?: string; product?: string; restart?: boolean },
          command: Command,
        ) => {
          const flags = flagsOf(command);
          if (!existsSync(file)) throw new UsageError(`no such file: ${file}`);
          if (options.batchSize > 1000) throw new UsageError('--batch-size must be 1 to 1000');
          const stop = { requested: false };
          const onSignal = () => {
            if (stop.requested) process.exit(130);
            stop.requested = true;
            process.stderr.write('\nstopping after this batch (Ctrl-C again to quit now)…\n');
          };
          process.on('SIGINT', onSignal);
          process.on('SIGTERM', onSignal);
          try {
            const summary = await importLicenses(
              clientFor(flags),
              { file, ...options, progress: process.stderr },
              stop,
            );
            if (formatOf(flags) === 'json') {
              process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
            } else {
              process.stdout.write(
                `${summary.interrupted ? 'interrupted' : 'imported'} ${file}: ${String(summary.rows)} rows — created ${String(summary.created)}, exists ${String(summary.exists)}, skipped ${String(summary.skipped)} (done earlier), failed ${String(summary.failed)}\nper-row results: ${summary.reportFile}\n`,
              );
            }
            if (summary.interrupted) {
              process.stderr.write('interrupted: run the same command again to continue\n');
              return 130;
            }
            return summary.failed > 0 ? EXIT.failed : EXIT.ok;
          } finally {
            process.removeListener('SIGINT', onSignal);
            process.removeListener('SIGTERM', onSignal);
          }
        },
      ),
    );

  registerPolicyCommands(program, licenses);

  const subscriptions = groups.get('subscriptions') as Command;
  subscriptions
    .command('cancel')
    .description('cancel a subscription')
    .argument('<id>')
    .addHelpText('after', examples(['entitle subscriptions cancel 6b0f…']))
    .action(
      action(async (id: string, _options: unknown, command: Command) => {
        const flags = flagsOf(command);
        printOne(
          (await clientFor(flags).subscriptions.cancel(id)) as unknown as Record<string, unknown>,
          formatOf(flags),
        );
        return EXIT.ok;
      }),
    );

  const usage = newGroup('usage', 'usage records: send them, read consumption');
  usage
    .command('send')
    .description('send usage records from a JSON-lines file (- for stdin), in batches')
    .argument('<file>')
    .option('--batch-size <n>', 'records per request (1-10000)', positiveInt, 1000)
    .addHelpText(
      'after',
      `
One record per line: {"id"?, "account"?, "instance"?, "product", "metric" | "feature", "value",
"kind": "gauge" | "delta", "at"}. A record without an id gets one from its content, so sending
a file again never counts a record twice. Exit 1 if any record was rejected.
${examples([
  `entitle usage send usage.jsonl`,
  `echo '{"product":"cvo","metric":1,"kind":"delta","value":2,"at":"2026-11-23T10:00:00Z","account":"acme"}' | entitle usage send -`,
])}`,
    )
    .action(
      action(async (file: string, options: { batchSize: number }, command: Command) => {
        const flags = flagsOf(command);
        if (options.batchSize > 10_000) throw new UsageError('--batch-size must be 1 to 10000');
        const result = await sendUsage(clientFor(flags), file, options.batchSize, process.stderr);
        if (formatOf(flags) === 'table') {
          process.stdout.write(
            `${String(result.records)} records: accepted ${String(result.accepted)}, duplicates ${String(result.duplicates)}, rejected ${String(result.rejected.length)}\n`,
          );
          for (const rejected of result.rejected) {
            process.stdout.write(
              `  record ${String(rejected.index + 1)} (${rejected.id}): ${rejected.reasons.map((r) => `${r.name}: ${r.reason}`).join('; ')}\n`,
            );
          }
        } else {
          printOne(result as unknown as Record<string, unknown>, formatOf(flags));
        }
        return result.rejected.length > 0 ? EXIT.failed : EXIT.ok;
      }),
    );
  usage
    .command('get')
    .description("an account's consumption of a product metric or feature")
    .argument('<account>')
    .requiredOption('--product <ref>', 'product id or slug')
    .option('--metric <id>', 'metric id', positiveInt)
    .option('--feature <id>', 'feature id')
    .option('--from <date-time>', 'start (default: start of this month)')
    .option('--to <date-time>', 'end (default: now)')
    .addOption(new Option('--granularity <g>', 'series step').choices(['day', 'month']))
    .addHelpText('after', examples(['entitle usage get acme --product cvo --metric 1']))
    .action(
      action(
        async (
          account: string,
          options: {
            product: string;
            metric?: number;
            feature?: string;
            from?: string;
            to?: string;
            granularity?: 'day' | 'month';
          },
          command: Command,
        ) => {
          const flags = flagsOf(command);
          const report = await clientFor(flags).usage.get(account, options);
          const format = formatOf(flags);
          if (format === 'json') printOne(report as unknown as Record<string, unknown>, format);
          else printList(report.series, ['period', 'deltas', 'records'], format);
          if (format === 'table') {
            process.stdout.write(
              `used ${String(report.consumption.used)} (gauges ${String(report.consumption.gauges)} + deltas ${String(report.consumption.deltas)})\n`,
            );
          }
          return EXIT.ok;
        },
      ),
    );
  program.addCommand(usage);

  const compliance = newGroup('compliance', "an account's compliance: entitled against used");
  compliance
    .command('get')
    .description('compliance of an account, per product and metric')
    .argument('<account>')
    .addHelpText(
      'after',
      examples(['entitle compliance get acme', 'entitle compliance get acme --json']),
    )
    .action(
      action(async (account: string, _options: unknown, command: Command) => {
        const flags = flagsOf(command);
        const result = await clientFor(flags).compliance.get(account);
        const format = formatOf(flags);
        if (format === 'json') {
          printOne(result as unknown as Record<string, unknown>, format);
          return EXIT.ok;
        }
        const rows = result.products.flatMap((product) =>
          product.metrics.map((metric) => ({
            product: product.slug,
            compliant: product.compliant,
            ...metric,
          })),
        );
        printList(
          rows,
          ['product', 'metricId', 'unit', 'entitled', 'used', 'available', 'level', 'compliant'],
          format,
        );
        if (format === 'table')
          process.stdout.write(`overall: ${result.overallComplianceStatus}\n`);
        return EXIT.ok;
      }),
    );
  program.addCommand(compliance);

  const profile = usageExits(new Command('profile'))
    .description(`named servers and tokens, kept in ${configPath()}`)
    .addHelpText('after', EXIT_CODES_HELP);
  profile
    .command('set')
    .description('create or change a profile from --url and --token (and make it current)')
    .argument('<name>')
    .addHelpText(
      'after',
      examples(['entitle profile set prod --url https://entitle.example.com --token eyJ…']),
    )
    .action(
      action((name: string, _options: unknown, command: Command) => {
        const flags: ClientFlags = flagsOf(command);
        const config = readConfig();
        const previous = config.profiles[name] ?? {};
        const next = {
          ...previous,
          ...(flags.url === undefined ? {} : { url: flags.url }),
          ...(flags.token === undefined ? {} : { token: flags.token }),
        };
        if (next.url === undefined) throw new UsageError('a new profile needs --url');
        config.profiles[name] = next;
        config.current ??= name;
        writeConfig(config);
        process.stderr.write(
          `saved profile ${name}${config.current === name ? ' (current)' : ''}\n`,
        );
        return EXIT.ok;
      }),
    );
  profile
    .command('list')
    .description('list the profiles (tokens are not shown)')
    .option('--json', 'print JSON')
    .action(
      action((options: { json?: boolean }) => {
        const config = readConfig();
        const rows = Object.entries(config.profiles).map(([name, p]) => ({
          current: name === config.current ? '*' : '',
          name,
          url: p.url ?? '',
          token: p.token === undefined ? 'no' : 'yes',
        }));
        printList(
          rows,
          ['current', 'name', 'url', 'token'],
          options.json === true ? 'json' : 'table',
        );
        return EXIT.ok;
      }),
    );
  profile
    .command('use')
    .description('make a profile the current one')
    .argument('<name>')
    .action(
      action((name: string) => {
        const config = readConfig();
        if (config.profiles[name] === undefined) throw new UsageError(`no profile '${name}'`);
        config.current = name;
        writeConfig(config);
        process.stderr.write(`using profile ${name}\n`);
        return EXIT.ok;
      }),
    );
  program.addCommand(profile);

  program.addCommand(
    usageExits(new Command('completion'))
      .description('print a shell completion script')
      .argument('<shell>', 'bash or zsh')
      .addHelpText(
        'after',
        examples(['source <(entitle completion bash)', 'source <(entitle completion zsh)']),
      )
      .action(
        action((shell: string) => {
          if (shell === 'bash') process.stdout.write(bashCompletion(program));
          else if (shell === 'zsh') process.stdout.write(zshCompletion(program));
          else throw new UsageError(`unknown shell '${shell}': use bash or zsh`);
          return EXIT.ok;
        }),
      ),
  );
}
