import { chmodSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { InvalidArgumentError, Option } from 'commander';
import type { LicensePolicy, Policy, PolicyOverrides, PolicyTerms } from '#sdk';
import {
  action,
  clientFor,
  EXIT,
  flagsOf,
  newGroup,
  positiveInt,
  UsageError,
  type ClientFlags,
} from './context.js';
import { cell, formatOf, printList, printOne, table, type Format } from './output.js';
import { bodyOf, bodyOptions } from './resources.js';

type Item = Record<string, unknown>;

function examples(lines: string[]): string {
  return `\nExamples:\n${lines.map((line) => `  $ ${line}`).join('\n')}`;
}

/**
 * Commander turns an option value of `null` into '', so "no limit" travels as this marker and
 * becomes `null` in the body.
 */
const NO_VALUE = 'null';

/** A count, or the word for none (`unlimited`, `none`, `perpetual`). */
function countOr(word: string): (value: string) => number | typeof NO_VALUE {
  return (value) => {
    if (value === word || value === 'null') return NO_VALUE;
    const number = Number(value);
    if (!Number.isInteger(number) || number < 0) {
      throw new InvalidArgumentError(`expected a whole number or '${word}', got '${value}'`);
    }
    return number;
  };
}

function nonNegativeInt(value: string): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number < 0) {
    throw new InvalidArgumentError(`expected a whole number, got '${value}'`);
  }
  return number;
}

const list = (value: string): string[] =>
  value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');

/** `--metrics 1=100,2=-1`: metric id = quantity (-1 unlimited). */
function metricsOf(value: string): { metricId: number; quantity: number }[] {
  return list(value).map((pair) => {
    const [id = '', quantity = ''] = pair.split('=');
    const metricId = Number(id);
    const amount = Number(quantity);
    if (!Number.isInteger(metricId) || metricId < 1 || quantity === '' || Number.isNaN(amount)) {
      throw new InvalidArgumentError(`expected metricId=quantity pairs, got '${pair}'`);
    }
    return { metricId, quantity: amount };
  });
}

interface TermFlags {
  term?: PolicyTerms['term'];
  durationDays?: number | typeof NO_VALUE;
  clockStarts?: PolicyTerms['clockStarts'];
  renewalBasis?: PolicyTerms['renewalBasis'];
  expirationBehaviour?: PolicyTerms['expirationBehaviour'];
  graceDays?: number;
  seatLimit?: number | typeof NO_VALUE;
  nodeLocked?: boolean;
  fingerprintMatching?: PolicyTerms['fingerprintMatching'];
  floating?: boolean;
  leaseSeconds?: number;
  heartbeatSeconds?: number | typeof NO_VALUE;
  deadInstance?: PolicyTerms['deadInstance'];
  overage?: PolicyTerms['overage'];
  features?: string[];
  metrics?: { metricId: number; quantity: number }[];
  requiredScopes?: PolicyTerms['requiredScopes'];
  activationsPerHour?: number;
  deactivationsPerHour?: number;
  validationsPerMinute?: number;
}

/** One flag per policy term; each maps onto the API field of the same name. */
function termOptions(command: Command): Command {
  return command
    .addOption(
      new Option('--term <kind>', 'kind of term').choices([
        'PERPETUAL',
        'SUBSCRIPTION',
        'TRIAL',
        'DEMO',
      ]),
    )
    .option('--duration-days <n>', "length of one term, or 'perpetual'", countOr('perpetual'))
    .addOption(
      new Option('--clock-starts <when>', 'when the term starts counting').choices([
        'ISSUE',
        'FIRST_ACTIVATION',
        'FIRST_VALIDATION',
      ]),
    )
    .addOption(
      new Option('--renewal-basis <basis>', 'a renewal adds a term to…').choices([
        'FROM_EXPIRY',
        'FROM_NOW',
      ]),
    )
    .addOption(
      new Option('--expiration-behaviour <b>', 'after expiry and grace').choices([
        'RESTRICT',
        'MAINTAIN',
        'ALLOW',
      ]),
    )
    .option('--grace-days <n>', 'days after expiry that still validate', nonNegativeInt)
    .option('--seat-limit <n>', "seats or concurrent leases, or 'unlimited'", countOr('unlimited'))
    .option('--node-locked', 'one instance only')
    .option('--no-node-locked', 'not node-locked')
    .addOption(
      new Option('--fingerprint-matching <m>', 'fingerprint components to match').choices([
        'ANY',
        'MOST',
        'ALL',
      ]),
    )
    .option('--floating', 'seats are leases checked out and in')
    .option('--no-floating', 'seats are activations')
    .option('--lease-seconds <n>', 'how long a check-out lasts', positiveInt)
    .option('--heartbeat-seconds <n>', "heartbeat interval, or 'none'", countOr('none'))
    .addOption(
      new Option('--dead-instance <action>', 'what a dead instance loses').choices([
        'DEACTIVATE',
        'KEEP',
      ]),
    )
    .addOption(
      new Option('--overage <allowance>', 'seats allowed past the limit').choices([
        'NONE',
        '1.25X',
        '1.5X',
        '2X',
        'UNLIMITED',
      ]),
    )
    .option('--features <ids>', 'comma-separated feature ids', list)
    .option(
      '--metrics <pairs>',
      'metricId=quantity pairs, comma-separated (-1 unlimited)',
      metricsOf,
    )
    .option(
      '--required-scopes <scopes>',
      'what a validation must name: product,instance,fingerprint,feature',
      (value: string) => list(value) as PolicyTerms['requiredScopes'],
    )
    .option('--activations-per-hour <n>', 'per-license rate limit', positiveInt)
    .option('--deactivations-per-hour <n>', 'per-license rate limit', positiveInt)
    .option('--validations-per-minute <n>', 'per-license rate limit', positiveInt);
}

const TERM_FLAGS = [
  'term',
  'durationDays',
  'clockStarts',
  'renewalBasis',
  'expirationBehaviour',
  'graceDays',
  'seatLimit',
  'nodeLocked',
  'fingerprintMatching',
  'floating',
  'leaseSeconds',
  'heartbeatSeconds',
  'deadInstance',
  'overage',
  'features',
  'metrics',
  'requiredScopes',
] as const;

const RATE_FLAGS = ['activationsPerHour', 'deactivationsPerHour', 'validationsPerMinute'] as const;

/** The server's defaults (docs/policies.md): `rateLimits` is written whole, so create fills it. */
const DEFAULT_RATE_LIMITS: PolicyTerms['rateLimits'] = {
  activationsPerHour: 120,
  deactivationsPerHour: 120,
  validationsPerMinute: 600,
};

/** The terms given as flags; the rate limits merged onto `rateLimits` (from the body or current). */
function termsOf(flags: TermFlags, base: Item, current?: PolicyTerms['rateLimits']): Item {
  const terms: Item = {};
  for (const name of TERM_FLAGS) {
    const value = flags[name];
    if (value !== undefined) terms[name] = value === NO_VALUE ? null : value;
  }
  const rates: Item = {};
  for (const name of RATE_FLAGS) if (flags[name] !== undefined) rates[name] = flags[name];
  if (Object.keys(rates).length > 0) {
    const given = base.rateLimits;
    terms.rateLimits = {
      ...current,
      ...(typeof given === 'object' && given !== null ? given : {}),
      ...rates,
    };
  }
  return terms;
}

interface PolicyBodyFlags extends ClientFlags, TermFlags {
  data?: string;
  file?: string;
  set?: string[];
  product?: string;
  name?: string;
  description?: string;
  ifMatch?: number;
}

const POLICY_COLUMNS = [
  'id',
  'productId',
  'name',
  'term',
  'durationDays',
  'seatLimit',
  'floating',
  'heartbeatSeconds',
  'overage',
  'revision',
];

/** `entitle policies list|get|create|update|delete`. */
export function policiesCommand(): Command {
  const group = newGroup(
    'policies',
    'policies: the templates licenses are issued from and bound to',
  );

  group
    .command('list')
    .description('list policies (first page unless --all)')
    .option('--filter <expr>', 'filter, e.g. "productId eq 1" or "name eq \'floating\'"')
    .option('--order-by <fields>', "ordering, e.g. 'name desc'")
    .option('--limit <n>', 'page size (1-1000; server default 100)', positiveInt)
    .option('--all', 'follow every page')
    .option('--count', 'print the total count of matching policies on stderr')
    .addHelpText(
      'after',
      examples([
        'entitle policies list',
        'entitle policies list --all --json',
        'entitle policies list --filter "name eq \'floating-5\'" --count',
      ]),
    )
    .action(
      action(
        async (
          options: {
            filter?: string;
            orderBy?: string;
            limit?: number;
            all?: boolean;
            count?: boolean;
          },
          command: Command,
        ) => {
          const flags = flagsOf(command);
          const sdk = clientFor(flags);
          const query = {
            filter: options.filter,
            orderBy: options.orderBy,
            limit: options.limit,
            count: options.count,
          };
          let items: Policy[];
          if (options.all === true) {
            items = [];
            for await (const policy of sdk.policies.list(query)) items.push(policy);
          } else {
            const page = await sdk.policies.page(query);
            items = page.items;
            if (page.metadata.continue !== undefined && formatOf(flags) === 'table') {
              process.stderr.write('more items follow: use --all or --limit\n');
            }
            if (page.metadata.count !== undefined) {
              process.stderr.write(`count: ${String(page.metadata.count)}\n`);
            }
          }
          printList(items as unknown as Item[], POLICY_COLUMNS, formatOf(flags));
          return EXIT.ok;
        },
      ),
    );

  group
    .command('get')
    .description('show one policy with every term')
    .argument('<id>')
    .addHelpText('after', examples(['entitle policies get pol_4f1c2a9be07d3366 --json']))
    .action(
      action(async (id: string, _options: unknown, command: Command) => {
        const flags = flagsOf(command);
        printOne((await clientFor(flags).policies.get(id)) as unknown as Item, formatOf(flags));
        return EXIT.ok;
      }),
    );

  termOptions(
    bodyOptions(
      group
        .command('create')
        .description('create a policy from term flags and/or a JSON file (flags win)')
        .option('--product <ref>', 'product id or slug')
        .option('--name <name>', 'policy name, unique per product')
        .option('--description <text>', 'free text'),
    ),
  )
    .addHelpText(
      'after',
      `
Every term not given takes its default (docs/policies.md). --file policy.json holds the same
fields as POST /v1/policies; the flags are laid on top.
${examples([
  'entitle policies create --product cvo --name floating-5 --floating --seat-limit 5 --heartbeat-seconds 60',
  'entitle policies create --product cvo --name trial --term TRIAL --duration-days 30 --grace-days 7',
  'entitle policies create --file policy.json --name copy',
])}`,
    )
    .action(
      action(async (options: PolicyBodyFlags, command: Command) => {
        const flags = { ...flagsOf(command), ...options };
        const body = bodyOf(flags);
        Object.assign(body, termsOf(options, body, DEFAULT_RATE_LIMITS));
        if (options.product !== undefined) {
          body.product = /^\d+$/.test(options.product) ? Number(options.product) : options.product;
        }
        if (options.name !== undefined) body.name = options.name;
        if (options.description !== undefined) body.description = options.description;
        if (body.product === undefined || body.name === undefined) {
          throw new UsageError('a policy needs --product and --name (or both in --file)');
        }
        const sdk = clientFor(flags);
        printOne((await sdk.policies.create(body as never)) as unknown as Item, formatOf(flags));
        return EXIT.ok;
      }),
    );

  termOptions(
    bodyOptions(
      group
        .command('update')
        .description("change a policy's terms, name or description; its licenses follow at once")
        .argument('<id>')
        .option('--name <name>', 'new name')
        .option('--description <text>', 'free text')
        .option(
          '--if-match <revision>',
          'refuse the change unless the policy is still at this revision',
          positiveInt,
        ),
    ),
  )
    .addHelpText(
      'after',
      examples([
        'entitle policies update pol_4f1c2a9be07d3366 --seat-limit 10 --overage 1.25X',
        'entitle policies update pol_4f1c2a9be07d3366 --validations-per-minute 60 --if-match 3',
      ]),
    )
    .action(
      action(async (id: string, options: PolicyBodyFlags, command: Command) => {
        const flags = { ...flagsOf(command), ...options };
        const sdk = clientFor(flags);
        const body = bodyOf(flags);
        let ifMatch = options.ifMatch;
        let currentRates: PolicyTerms['rateLimits'] | undefined;
        if (RATE_FLAGS.some((name) => options[name] !== undefined)) {
          // rateLimits is one field: merge the flags onto the current limits, guarded by revision.
          const current = await sdk.policies.get(id);
          currentRates = current.rateLimits;
          ifMatch ??= current.revision;
        }
        Object.assign(body, termsOf(options, body, currentRates));
        if (options.name !== undefined) body.name = options.name;
        if (options.description !== undefined) body.description = options.description;
        if (Object.keys(body).length === 0) {
          throw new UsageError('nothing to change: give term flags, --set, --data or --file');
        }
        printOne(
          (await sdk.policies.update(id, body, { ifMatch })) as unknown as Item,
          formatOf(flags),
        );
        return EXIT.ok;
      }),
    );

  group
    .command('delete')
    .description('delete a policy (refused while licenses are bound to it)')
    .argument('<id>')
    .addHelpText('after', examples(['entitle policies delete pol_4f1c2a9be07d3366']))
    .action(
      action(async (id: string, _options: unknown, command: Command) => {
        await clientFor(flagsOf(command)).policies.delete(id);
        process.stderr.write(`deleted policy ${id}\n`);
        return EXIT.ok;
      }),
    );
  return group;
}

function overridesOf(text: string | undefined): PolicyOverrides | undefined {
  if (text === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new UsageError('--overrides is not valid JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new UsageError('--overrides must be a JSON object');
  }
  return parsed;
}

/** The binding and every term, an override marked as such. */
function printLicensePolicy(bound: LicensePolicy, format: Format): void {
  if (format !== 'table') {
    printOne(bound as unknown as Item, format);
    return;
  }
  const rows = [
    ['license', bound.licenseId, ''],
    ['policy', bound.policyId, ''],
    ...Object.entries(bound.terms).map(([name, v]) => [
      name,
      cell(v),
      name in bound.overrides ? 'override' : '',
    ]),
  ];
  process.stdout.write(`${table(['TERM', 'VALUE', 'FROM'], rows)}\n`);
}

/** `entitle licenses policy get|set|unset <license>`, under the licenses group. */
export function licensePolicyCommand(): Command {
  const group = newGroup('policy', "a license's policy: the terms it lives by");
  group
    .command('get')
    .description('the policy a license is bound to, and its terms (overrides marked)')
    .argument('<id-or-serial>')
    .addHelpText('after', examples(['entitle licenses policy get 1042']))
    .action(
      action(async (ref: string, _options: unknown, command: Command) => {
        const flags = flagsOf(command);
        printLicensePolicy(await clientFor(flags).licenses.policy.get(ref), formatOf(flags));
        return EXIT.ok;
      }),
    );
  group
    .command('set')
    .description('bind a license to a policy of its product, with overrides of its own')
    .argument('<id-or-serial>')
    .requiredOption('--policy <id>', 'the policy (pol_…)')
    .option('--overrides <json>', 'terms this license departs from, as a JSON object')
    .addHelpText(
      'after',
      examples([
        'entitle licenses policy set 1042 --policy pol_4f1c2a9be07d3366',
        `entitle licenses policy set 1042 --policy pol_4f1c2a9be07d3366 --overrides '{"seatLimit":8}'`,
      ]),
    )
    .action(
      action(
        async (ref: string, options: { policy: string; overrides?: string }, command: Command) => {
          const flags = flagsOf(command);
          const overrides = overridesOf(options.overrides);
          const bound = await clientFor(flags).licenses.policy.assign(ref, {
            policy: options.policy,
            ...(overrides === undefined ? {} : { overrides }),
          });
          printLicensePolicy(bound, formatOf(flags));
          return EXIT.ok;
        },
      ),
    );
  group
    .command('unset')
    .description('unbind a license from its policy')
    .argument('<id-or-serial>')
    .addHelpText('after', examples(['entitle licenses policy unset 1042']))
    .action(
      action(async (ref: string, _options: unknown, command: Command) => {
        await clientFor(flagsOf(command)).licenses.policy.unassign(ref);
        process.stderr.write(`unbound license ${ref} from its policy\n`);
        return EXIT.ok;
      }),
    );
  return group;
}

const LEASE_COLUMNS = ['id', 'instanceId', 'alive', 'expiresAt', 'lastHeartbeatAt', 'createdAt'];

/** `entitle leases list|checkout|heartbeat|checkin <license> …`. */
export function leasesCommand(): Command {
  const group = newGroup('leases', "a floating license's leases: check out, heartbeat, check in");
  group
    .command('list')
    .description("a license's leases (an instance token sees its own)")
    .argument('<license>')
    .addHelpText('after', examples(['entitle leases list 1042', 'entitle leases list 1042 --csv']))
    .action(
      action(async (license: string, _options: unknown, command: Command) => {
        const flags = flagsOf(command);
        const leases = await clientFor(flags).leases.list(license);
        printList(leases as unknown as Item[], LEASE_COLUMNS, formatOf(flags));
        return EXIT.ok;
      }),
    );
  group
    .command('checkout')
    .description('check a floating license out for an instance; exit 1 when every seat is taken')
    .argument('<license>')
    .option('--instance <id>', "the instance (default: an instance token's own)")
    .option('--ttl <seconds>', "lease length, at most the policy's leaseSeconds", positiveInt)
    .option('--borrow', 'also get a signed certificate valid until the lease ends (offline use)')
    .option('--out <file>', 'with --borrow: write the certificate there (default: stdout)')
    .addHelpText(
      'after',
      examples([
        'entitle leases checkout 1042 --instance 6f1c…',
        'entitle leases checkout 1042 --instance 6f1c… --borrow --out lease.jws',
        'entitle leases checkout 1042 --instance 6f1c… --borrow > lease.jws',
      ]),
    )
    .action(
      action(
        async (
          license: string,
          options: { instance?: string; ttl?: number; borrow?: boolean; out?: string },
          command: Command,
        ) => {
          const flags = flagsOf(command);
          if (options.out !== undefined && options.borrow !== true) {
            throw new UsageError('--out writes the certificate of --borrow: add --borrow');
          }
          const checked = await clientFor(flags).leases.checkOut(license, {
            instance: options.instance,
            ttlSeconds: options.ttl,
            borrow: options.borrow,
          });
          const format = formatOf(flags);
          const summary = { outcome: checked.outcome, ...checked.lease };
          if (options.borrow === true) {
            if (checked.certificate === undefined) {
              process.stderr.write(
                `entitle: the server sent no certificate (it does not lend leases); lease ${checked.lease.id} is checked out\n`,
              );
              return EXIT.failed;
            }
            if (options.out === undefined) {
              // The certificate is the output; what was leased goes to stderr.
              if (format === 'json') {
                printOne({ ...summary, certificate: checked.certificate }, format);
              } else {
                process.stdout.write(`${checked.certificate}\n`);
              }
              process.stderr.write(
                `lease ${checked.lease.id} (${checked.outcome}) until ${checked.lease.expiresAt}\n`,
              );
              return EXIT.ok;
            }
            writeFileSync(options.out, `${checked.certificate}\n`, { mode: 0o600 });
            chmodSync(options.out, 0o600);
            process.stderr.write(`certificate written to ${options.out}\n`);
          }
          printOne(summary, format);
          return EXIT.ok;
        },
      ),
    );
  group
    .command('heartbeat')
    .description('keep a lease alive; exit 1 when it is dead (HEARTBEAT_DEAD, LEASE_EXPIRED)')
    .argument('<license>')
    .argument('<lease>')
    .addHelpText('after', examples(['entitle leases heartbeat 1042 lease_0b6e…']))
    .action(
      action(async (license: string, lease: string, _options: unknown, command: Command) => {
        const flags = flagsOf(command);
        printOne(
          (await clientFor(flags).leases.heartbeat(license, lease)) as unknown as Item,
          formatOf(flags),
        );
        return EXIT.ok;
      }),
    );
  group
    .command('checkin')
    .description('check a lease in: its seat is free at once')
    .argument('<license>')
    .argument('<lease>')
    .addHelpText('after', examples(['entitle leases checkin 1042 lease_0b6e…']))
    .action(
      action(async (license: string, lease: string, _options: unknown, command: Command) => {
        await clientFor(flagsOf(command)).leases.checkIn(license, lease);
        process.stderr.write(`checked in lease ${lease}\n`);
        return EXIT.ok;
      }),
    );
  return group;
}

/** Registers `policies`, `leases` and `licenses policy`. */
export function registerPolicyCommands(program: Command, licenses: Command): void {
  program.addCommand(policiesCommand());
  program.addCommand(leasesCommand());
  licenses.addCommand(licensePolicyCommand());
}
