import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { Option } from 'commander';
import type { Entitle, ListQuery, Page } from '#sdk';
import {
  action,
  clientFor,
  EXIT,
  flagsOf,
  positiveInt,
  newGroup,
  UsageError,
  usageExits,
  type ClientFlags,
} from './context.js';
import { formatOf, printList, printOne, type Format } from './output.js';

type Item = Record<string, unknown>;

/** What a resource supports; each verb maps onto one SDK method. */
interface ResourceSpec {
  name: string;
  singular: string;
  description: string;
  /** Table columns of `list`; JSON and CSV print every field. */
  columns: string[];
  /** The argument naming one item in `get`/`update`/`delete`. */
  ref: string;
  page?: (sdk: Entitle, query: ListQuery) => Promise<Page<Item>>;
  list?: (sdk: Entitle, query: ListQuery) => AsyncIterable<Item>;
  get?: (sdk: Entitle, ref: string) => Promise<Item>;
  create?: (sdk: Entitle, body: Item) => Promise<Item>;
  update?: (sdk: Entitle, ref: string, body: Item) => Promise<Item>;
  delete?: (sdk: Entitle, ref: string) => Promise<void>;
  /** Example create body. */
  example?: string;
}

/** The native resources: list / get / create / update / delete as the API allows each. */
export function resourceSpecs(): ResourceSpec[] {
  const asItem = (value: object) => value as Item;
  return [
    {
      name: 'accounts',
      singular: 'account',
      description: 'accounts (tenants)',
      columns: ['id', 'name', 'orgId', 'createdAt'],
      ref: 'id',
      page: (sdk, q) => sdk.accounts.page(q) as unknown as Promise<Page<Item>>,
      list: (sdk, q) => sdk.accounts.list(q) as unknown as AsyncIterable<Item>,
      get: async (sdk, id) => asItem(await sdk.accounts.get(id)),
      create: async (sdk, body) => asItem(await sdk.accounts.create(body as never)),
      update: async (sdk, id, body) => asItem(await sdk.accounts.update(id, body)),
      delete: (sdk, id) => sdk.accounts.delete(id),
      example: `--set id=acme --set name='Acme Corp'`,
    },
    {
      name: 'products',
      singular: 'product',
      description: 'the product catalog',
      columns: ['id', 'slug', 'name', 'group', 'createdAt'],
      ref: 'id-or-slug',
      page: (sdk, q) => sdk.products.page(q) as unknown as Promise<Page<Item>>,
      list: (sdk, q) => sdk.products.list(q) as unknown as AsyncIterable<Item>,
      get: async (sdk, ref) => asItem(await sdk.products.get(ref)),
      create: async (sdk, body) => asItem(await sdk.products.create(body as never)),
      update: async (sdk, ref, body) => asItem(await sdk.products.update(ref, body)),
      delete: (sdk, ref) => sdk.products.delete(ref),
      example: `--data '{"slug":"cvo","name":"Cloud Volumes","metrics":[{"id":1,"name":"Capacity","unit":"TiB"}]}'`,
    },
    {
      name: 'licenses',
      singular: 'license',
      description: 'licenses: issue, inspect, update, revoke, validate, import',
      columns: [
        'serialNumber',
        'accountId',
        'productId',
        'kind',
        'term',
        'state',
        'quantity',
        'expiresAt',
        'key',
      ],
      ref: 'id-or-serial',
      page: (sdk, q) => sdk.licenses.page(q) as unknown as Promise<Page<Item>>,
      list: (sdk, q) => sdk.licenses.list(q) as unknown as AsyncIterable<Item>,
      get: async (sdk, ref) => asItem(await sdk.licenses.get(ref)),
      create: async (sdk, body) => asItem(await sdk.licenses.create(body as never)),
      update: async (sdk, ref, body) => asItem(await sdk.licenses.update(ref, body)),
      delete: (sdk, ref) => sdk.licenses.delete(ref),
      example: `--set accountId=acme --set product=cvo --set quantity=10 --set expiresAt=2027-12-31T00:00:00Z`,
    },
    {
      name: 'subscriptions',
      singular: 'subscription',
      description: 'subscriptions (Astra model) and their charges',
      columns: [
        'id',
        'subscriptionNumber',
        'status',
        'terms',
        'accounts',
        'productId',
        'expiresAt',
      ],
      ref: 'id',
      page: (sdk, q) => sdk.subscriptions.page(q) as unknown as Promise<Page<Item>>,
      list: (sdk, q) => sdk.subscriptions.list(q) as unknown as AsyncIterable<Item>,
      get: async (sdk, id) => asItem(await sdk.subscriptions.get(id)),
      create: async (sdk, body) =>
        asItem(
          await sdk.subscriptions.create({
            type: 'application/astra-subscription',
            version: '1.2',
            ...body,
          } as never),
        ),
      // PUT is Astra's modify: send the subscription as read, with the changes merged in.
      update: async (sdk, id, body) => {
        const current = await sdk.subscriptions.get(id);
        const {
          id: _id,
          subscriptionNumber: _n,
          status: _s,
          periodStart: _p,
          cancelledAt: _c,
          revision,
          metadata: _m,
          ...writable
        } = current;
        return asItem(
          await sdk.subscriptions.update(
            id,
            { ...writable, ...body },
            {
              ifMatch: revision,
            },
          ),
        );
      },
      delete: (sdk, id) => sdk.subscriptions.delete(id),
      example: `--data '{"terms":"paid","accounts":["acme"],"appLimit":10}'`,
    },
    {
      name: 'webhooks',
      singular: 'webhook',
      description: 'webhook endpoints',
      columns: ['id', 'accountId', 'url', 'enabled', 'eventTypes', 'consecutiveFailures'],
      ref: 'id',
      page: (sdk, q) => sdk.webhooks.page(q) as unknown as Promise<Page<Item>>,
      list: (sdk, q) => sdk.webhooks.list(q) as unknown as AsyncIterable<Item>,
      get: async (sdk, id) => asItem(await sdk.webhooks.get(id)),
      create: async (sdk, body) => asItem(await sdk.webhooks.create(body as never)),
      update: async (sdk, id, body) => asItem(await sdk.webhooks.update(id, body)),
      delete: (sdk, id) => sdk.webhooks.delete(id),
      example: `--set accountId=acme --set url=https://hooks.example.com/entitle --set 'eventTypes=["license.created"]'`,
    },
    {
      name: 'events',
      singular: 'event',
      description: 'the audit log (read only)',
      columns: ['id', 'at', 'type', 'actor', 'accountId', 'resourceType', 'resourceId'],
      ref: 'id',
      page: (sdk, q) => sdk.events.page(q) as unknown as Promise<Page<Item>>,
      list: (sdk, q) => sdk.events.list(q) as unknown as AsyncIterable<Item>,
    },
  ];
}

interface ListFlags extends ClientFlags {
  filter?: string;
  orderBy?: string;
  limit?: number;
  all?: boolean;
  include?: string;
  count?: boolean;
}

interface BodyFlags extends ClientFlags {
  data?: string;
  file?: string;
  set?: string[];
}

/** A body from --data JSON, --file (or - for stdin), and --set field=value (dotted paths). */
export function bodyOf(flags: BodyFlags): Item {
  let body: Item = {};
  const parse = (text: string, where: string): Item => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new UsageError(`${where} is not valid JSON`);
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new UsageError(`${where} must be a JSON object`);
    }
    return parsed as Item;
  };
  if (flags.file !== undefined) {
    body = parse(readFileSync(flags.file === '-' ? 0 : flags.file, 'utf8'), `--file ${flags.file}`);
  }
  if (flags.data !== undefined) body = { ...body, ...parse(flags.data, '--data') };
  for (const assignment of flags.set ?? []) {
    const at = assignment.indexOf('=');
    if (at < 1) throw new UsageError(`--set takes field=value, got '${assignment}'`);
    const path = assignment.slice(0, at).split('.');
    const text = assignment.slice(at + 1);
    let value: unknown = text;
    try {
      value = JSON.parse(text);
    } catch {
      // Not JSON: the text itself (names, dates, URLs need no quotes).
    }
    let target: Item = body;
    for (const key of path.slice(0, -1)) {
      const next = target[key];
      target[key] = typeof next === 'object' && next !== null ? next : {};
      target = target[key] as Item;
    }
    target[path[path.length - 1] ?? ''] = value;
  }
  return body;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** `--data`, `--file` and `--set`: the body options of `create` and `update`. */
export function bodyOptions(command: Command): Command {
  return command
    .option('--data <json>', 'the body as a JSON object')
    .option('--file <path>', 'read the body from a JSON file (- for stdin)')
    .option(
      '--set <field=value>',
      'set one field (repeatable; value parsed as JSON if it is)',
      collect,
    );
}

function examples(lines: string[]): string {
  return `\nExamples:\n${lines.map((line) => `  $ ${line}`).join('\n')}`;
}

/** `entitle <resource> list|get|create|update|delete`. */
export function resourceCommand(spec: ResourceSpec): Command {
  const group = newGroup(spec.name, spec.description);
  const format = (command: Command): Format => formatOf(flagsOf(command));

  if (spec.page !== undefined && spec.list !== undefined) {
    const page = spec.page;
    const list = spec.list;
    group
      .command('list')
      .description(`list ${spec.name} (first page unless --all)`)
      .option('--filter <expr>', 'filter, e.g. "createdAt gt \'2026-01-01\'"')
      .option('--order-by <fields>', "ordering, e.g. 'name desc,id'")
      .option('--limit <n>', 'page size (1-1000; server default 100)', positiveInt)
      .option('--all', 'follow every page')
      .option('--include <fields>', 'only these fields, comma-separated')
      .option('--count', 'print the total count of matching items on stderr')
      .addHelpText(
        'after',
        examples([
          `entitle ${spec.name} list`,
          `entitle ${spec.name} list --all --json`,
          `entitle ${spec.name} list --filter "createdAt gt '2026-01-01'" --csv > ${spec.name}.csv`,
        ]),
      )
      .action(
        action(async (_options: ListFlags, command: Command) => {
          const flags = flagsOf(command) as ListFlags;
          const sdk = clientFor(flags);
          const query: ListQuery = {
            filter: flags.filter,
            orderBy: flags.orderBy,
            limit: flags.limit,
            include: flags.include?.split(',').map((field) => field.trim()),
            count: flags.count,
          };
          let items: Item[];
          if (flags.all === true) {
            items = [];
            for await (const item of list(sdk, query)) items.push(item);
          } else {
            const answer = await page(sdk, query);
            items = answer.items;
            if (answer.metadata.continue !== undefined && formatOf(flags) === 'table') {
              process.stderr.write('more items follow: use --all or --limit\n');
            }
            if (answer.metadata.count !== undefined)
              process.stderr.write(`count: ${String(answer.metadata.count)}\n`);
          }
          const columns =
            query.include === undefined
              ? spec.columns
              : spec.columns.filter((c) => query.include?.includes(c));
          printList(
            items,
            columns.length === 0 ? (query.include ?? spec.columns) : columns,
            format(command),
          );
          return EXIT.ok;
        }),
      );
  }

  if (spec.get !== undefined) {
    const get = spec.get;
    group
      .command('get')
      .description(`show one ${spec.singular}`)
      .argument(`<${spec.ref}>`)
      .addHelpText(
        'after',
        examples([
          `entitle ${spec.name} get <${spec.ref}>`,
          `entitle ${spec.name} get <${spec.ref}> --json`,
        ]),
      )
      .action(
        action(async (ref: string, _options: unknown, command: Command) => {
          printOne(await get(clientFor(flagsOf(command)), ref), format(command));
          return EXIT.ok;
        }),
      );
  }

  if (spec.create !== undefined) {
    const create = spec.create;
    bodyOptions(group.command('create').description(`create a ${spec.singular}`))
      .addHelpText(
        'after',
        examples([`entitle ${spec.name} create ${spec.example ?? '--data <json>'}`]),
      )
      .action(
        action(async (_options: BodyFlags, command: Command) => {
          const flags = flagsOf(command) as BodyFlags;
          const body = bodyOf(flags);
          printOne(await create(clientFor(flags), body), format(command));
          return EXIT.ok;
        }),
      );
  }

  if (spec.update !== undefined) {
    const update = spec.update;
    bodyOptions(
      group
        .command('update')
        .description(`change fields of a ${spec.singular}`)
        .argument(`<${spec.ref}>`),
    )
      .addHelpText(
        'after',
        examples([`entitle ${spec.name} update <${spec.ref}> --set description='renewed'`]),
      )
      .action(
        action(async (ref: string, _options: BodyFlags, command: Command) => {
          const flags = flagsOf(command) as BodyFlags;
          const body = bodyOf(flags);
          if (Object.keys(body).length === 0)
            throw new UsageError('nothing to change: give --set, --data or --file');
          printOne(await update(clientFor(flags), ref, body), format(command));
          return EXIT.ok;
        }),
      );
  }

  if (spec.delete !== undefined) {
    const remove = spec.delete;
    group
      .command('delete')
      .description(`delete a ${spec.singular}`)
      .argument(`<${spec.ref}>`)
      .addHelpText('after', examples([`entitle ${spec.name} delete <${spec.ref}>`]))
      .action(
        action(async (ref: string, _options: unknown, command: Command) => {
          await remove(clientFor(flagsOf(command)), ref);
          process.stderr.write(`deleted ${spec.singular} ${ref}\n`);
          return EXIT.ok;
        }),
      );
  }
  return group;
}

/** `--json`/`--csv` on a command that is not under a resource group. */
export function outputOptions(command: Command): Command {
  return usageExits(command)
    .addOption(new Option('--json', 'print JSON'))
    .addOption(new Option('--csv', 'print CSV'));
}
