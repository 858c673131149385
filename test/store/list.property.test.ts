import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Account } from '../../src/domain/account.js';
import { parseListQuery, type OrderTerm, type RawListParams } from '../../src/domain/query.js';
import { accountsCollection, listAccounts } from '../../src/store/accounts.repository.js';
import type { Store } from '../../src/store/database.js';
import { eventsCollection, insertEvent, listEvents } from '../../src/store/events.repository.js';
import { listProducts, productsCollection } from '../../src/store/products.repository.js';
import { openTestStore } from '../helpers/harness.js';

/** A fresh, migrated store (SQLite file or PostgreSQL database, by test project). */
async function openTempStore(): Promise<{ store: Store; dispose: () => Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'entitle-list-'));
  const opened = await openTestStore(dir);
  const store = opened.store;
  return {
    store,
    async dispose() {
      await opened.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Accounts: generated data with many ties, generated orderings, page sizes and filters.
// ---------------------------------------------------------------------------------------------

type SortField = 'id' | 'name' | 'orgId' | 'createdAt' | 'updatedAt';

interface Seed {
  id: string;
  name: string;
  orgId: string | null;
  createdAt: string;
  updatedAt: string;
}

type Op = 'eq' | 'ne' | 'lt' | 'gt' | 'lte' | 'gte';

/** A generated filter condition, independent of the parser: rendered to text, evaluated in JS. */
interface Cond {
  field: SortField;
  op: Op;
  value: string | null;
}

const SORT_FIELDS: readonly SortField[] = ['id', 'name', 'orgId', 'createdAt', 'updatedAt'];
const OPS: readonly Op[] = ['eq', 'ne', 'lt', 'gt', 'lte', 'gte'];
// Small alphabets so that ties are common; ASCII only, so that JS and SQLite compare alike.
const NAMES = ['Acme', 'acme', 'Beta', "O'Brien", 'Zed'] as const;
const ORGS = ['', 'o1', 'o2', 'O1'] as const;
const BASE_MS = Date.parse('2026-01-01T00:00:00.000Z');
const TIMES = [0, 1, 999, 1000, 86_400_000].map((ms) => new Date(BASE_MS + ms).toISOString());

const idArb = fc.string({
  unit: fc.constantFrom('a', 'b', 'B', '0', '9', '-', '_'),
  minLength: 1,
  maxLength: 3,
});

const seedsArb: fc.Arbitrary<Seed[]> = fc.uniqueArray(
  fc.record({
    id: idArb,
    name: fc.constantFrom(...NAMES),
    orgId: fc.option(fc.constantFrom(...ORGS), { nil: null, freq: 3 }),
    createdAt: fc.constantFrom(...TIMES),
    updatedAt: fc.constantFrom(...TIMES),
  }),
  { maxLength: 40, selector: (seed) => seed.id },
);

const condArb: fc.Arbitrary<Cond> = fc.oneof(
  fc.record({
    field: fc.constant<SortField>('name'),
    op: fc.constantFrom(...OPS),
    value: fc.constantFrom<string | null>(...NAMES, 'B', 'a'),
  }),
  fc.record({ field: fc.constant<SortField>('id'), op: fc.constantFrom(...OPS), value: idArb }),
  fc.record({
    field: fc.constant<SortField>('orgId'),
    op: fc.constantFrom(...OPS),
    value: fc.constantFrom<string | null>(...ORGS),
  }),
  fc.record({
    field: fc.constant<SortField>('orgId'),
    op: fc.constantFrom<Op>('eq', 'ne'),
    value: fc.constant(null),
  }),
  fc.record({
    field: fc.constantFrom<SortField>('createdAt', 'updatedAt'),
    op: fc.constantFrom(...OPS),
    value: fc.constantFrom<string | null>(...TIMES),
  }),
);

const filterArb: fc.Arbitrary<Cond[]> = fc.oneof(
  { weight: 1, arbitrary: fc.constant<Cond[]>([]) },
  { weight: 3, arbitrary: fc.array(condArb, { minLength: 1, maxLength: 2 }) },
);

/** `orderBy` text: 0–3 distinct sortable fields, each with an explicit, implicit or upper-case direction. */
const orderByArb: fc.Arbitrary<string> = fc
  .record({
    fields: fc.uniqueArray(fc.constantFrom(...SORT_FIELDS), { maxLength: 3 }),
    directions: fc.array(fc.constantFrom('', ' asc', ' desc', ' DESC'), {
      minLength: 3,
      maxLength: 3,
    }),
  })
  .map(({ fields, directions }) =>
    fields.map((field, i) => `${field}${directions[i] ?? ''}`).join(','),
  );

function quote(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

function renderFilter(conds: readonly Cond[]): string | undefined {
  if (conds.length === 0) return undefined;
  return conds
    .map((c) => `${c.field} ${c.op} ${c.value === null ? 'null' : quote(c.value)}`)
    .join(' and ');
}

/**
 * The documented semantics: `eq null` is "has no value"; `ne x` includes rows with no value; an
 * ordering comparison (lt, gt, lte, gte) is never true for a row with no value.
 */
function holds(seed: Seed, cond: Cond): boolean {
  const actual = seed[cond.field];
  const expected = cond.value;
  if (expected === null) return cond.op === 'eq' ? actual === null : actual !== null;
  if (actual === null) return cond.op === 'ne';
  switch (cond.op) {
    case 'eq':
      return actual === expected;
    case 'ne':
      return actual !== expected;
    case 'lt':
      return actual < expected;
    case 'gt':
      return actual > expected;
    case 'lte':
      return actual <= expected;
    case 'gte':
      return actual >= expected;
  }
}

function matching(seeds: readonly Seed[], conds: readonly Cond[]): Seed[] {
  return seeds.filter((seed) => conds.every((cond) => holds(seed, cond)));
}

/** Compares two accounts on one order, a null orgId sorting as '' (as the store documents). */
function compareOn(order: readonly OrderTerm[], a: Account, b: Account): number {
  for (const term of order) {
    const field = term.field as SortField;
    const x = a[field] ?? '';
    const y = b[field] ?? '';
    if (x !== y) return (x < y ? -1 : 1) * (term.direction === 'asc' ? 1 : -1);
  }
  return 0;
}

const sortedIds = (ids: Iterable<string>): string[] => [...ids].sort();

describe('accounts paging (property, real SQLite)', () => {
  let store: Store;
  let dispose: () => Promise<void>;

  beforeAll(async () => {
    ({ store, dispose } = await openTempStore());
  });
  afterAll(async () => {
    await dispose();
  });

  /** One database for every run: empty the table, then insert the run's rows. */
  async function reset(seeds: readonly Seed[]): Promise<void> {
    await store.db.deleteFrom('accounts').execute();
    if (seeds.length === 0) return;
    await store.db
      .insertInto('accounts')
      .values(
        seeds.map((seed) => ({
          id: seed.id,
          name: seed.name,
          org_id: seed.orgId,
          settings: '{}',
          created_at: seed.createdAt,
          updated_at: seed.updatedAt,
        })),
      )
      .execute();
  }

  async function list(params: RawListParams) {
    return listAccounts(store.db, null, parseListQuery(accountsCollection, params));
  }

  /** Follows continue tokens to the end; checks each page's size on the way. */
  async function pageThrough(
    params: RawListParams,
    pageSize: number,
  ): Promise<{ ids: string[]; pages: number }> {
    const ids: string[] = [];
    let pages = 0;
    let token: string | undefined;
    do {
      const page = await list({ ...params, limit: String(pageSize), continue: token });
      pages++;
      expect(page.rows.length).toBeLessThanOrEqual(pageSize);
      if (page.continueToken !== undefined) expect(page.rows.length).toBe(pageSize);
      ids.push(...page.rows.map((row) => row.id));
      token = page.continueToken;
      if (pages > 60) throw new Error('paging did not terminate');
    } while (token !== undefined);
    return { ids, pages };
  }

  it('visits every matching row exactly once, in the order of one big page', async () => {
    await fc.assert(
      fc.asyncProperty(
        seedsArb,
        filterArb,
        orderByArb,
        fc.integer({ min: 1, max: 7 }),
        async (seeds, conds, orderBy, pageSize) => {
          await reset(seeds);
          const params: RawListParams = { filter: renderFilter(conds), orderBy };
          const order = parseListQuery(accountsCollection, params).orderBy;
          const expected = matching(seeds, conds);

          const whole = await list({ ...params, limit: '1000' });
          expect(whole.continueToken).toBeUndefined();
          const wholeIds = whole.rows.map((row) => row.id);
          // The single query is itself in the requested order, ties broken by id.
          for (let i = 1; i < whole.rows.length; i++) {
            const [previous, current] = [whole.rows[i - 1], whole.rows[i]];
            if (previous === undefined || current === undefined) throw new Error('unreachable');
            expect(compareOn(order, previous, current)).toBe(-1);
          }

          const { ids, pages } = await pageThrough(params, pageSize);
          expect(ids).toEqual(wholeIds);
          expect(new Set(ids).size).toBe(ids.length);
          expect(sortedIds(ids)).toEqual(sortedIds(expected.map((seed) => seed.id)));
          expect(pages).toBe(Math.max(1, Math.ceil(expected.length / pageSize)));
        },
      ),
      { numRuns: 100 },
    );
  });

  it('count=true reports every matching row, on the first page and on later ones', async () => {
    await fc.assert(
      fc.asyncProperty(
        seedsArb,
        filterArb,
        orderByArb,
        fc.integer({ min: 1, max: 7 }),
        async (seeds, conds, orderBy, pageSize) => {
          await reset(seeds);
          const expected = matching(seeds, conds).length;
          const params: RawListParams = {
            filter: renderFilter(conds),
            orderBy,
            limit: String(pageSize),
            count: 'true',
          };
          const first = await list(params);
          expect(first.count).toBe(expected);
          expect(first.rows.length).toBe(Math.min(pageSize, expected));
          if (first.continueToken !== undefined) {
            const second = await list({ ...params, continue: first.continueToken });
            expect(second.count).toBe(expected);
            expect(second.rows.length).toBe(Math.min(pageSize, expected - pageSize));
          }
          const withoutCount = await list({ ...params, count: undefined });
          expect(withoutCount.count).toBeUndefined();
        },
      ),
      { numRuns: 60 },
    );
  });

  it('sorts a null orgId as the empty string, ties broken by id, across pages', async () => {
    const at = TIMES[0] ?? '';
    await reset([
      { id: 'e', name: 'E', orgId: 'o2', createdAt: at, updatedAt: at },
      { id: 'a', name: 'A', orgId: null, createdAt: at, updatedAt: at },
      { id: 'd', name: 'D', orgId: null, createdAt: at, updatedAt: at },
      { id: 'b', name: 'B', orgId: 'o1', createdAt: at, updatedAt: at },
      { id: 'c', name: 'C', orgId: '', createdAt: at, updatedAt: at },
    ]);
    expect(await pageThrough({ orderBy: 'orgId' }, 2)).toEqual({
      ids: ['a', 'c', 'd', 'b', 'e'],
      pages: 3,
    });
    expect(await pageThrough({ orderBy: 'orgId desc' }, 2)).toEqual({
      ids: ['e', 'b', 'a', 'c', 'd'],
      pages: 3,
    });
    expect(await pageThrough({ filter: 'orgId eq null', orderBy: 'orgId desc' }, 1)).toEqual({
      ids: ['a', 'd'],
      pages: 2,
    });
    expect(await pageThrough({ filter: `orgId ne 'o1'` }, 2)).toEqual({
      ids: ['a', 'c', 'd', 'e'],
      pages: 2,
    });
  });
});

// ---------------------------------------------------------------------------------------------
// Events (default order: newest first) and products (integer keys).
// ---------------------------------------------------------------------------------------------

describe('events paging', () => {
  let store: Store;
  let dispose: () => Promise<void>;
  const at = (minute: number) => `2026-03-01T10:0${String(minute)}:00.000Z`;
  // Ids 1..7 in insertion order; several events share a timestamp.
  const minutes = [0, 1, 1, 2, 2, 2, 3];

  beforeAll(async () => {
    ({ store, dispose } = await openTempStore());
    for (const [i, minute] of minutes.entries()) {
      await insertEvent(store.db, {
        at: at(minute),
        type: i % 2 === 0 ? 'account.created' : 'account.updated',
        actor: 'operator-test',
        actorRole: 'operator',
        accountId: i < 4 ? 'acc-a' : null,
        resourceType: 'account',
        resourceId: `r${String(i + 1)}`,
        summary: null,
        requestId: null,
      });
    }
  });
  afterAll(async () => {
    await dispose();
  });

  async function pages(
    scope: readonly string[] | null,
    params: RawListParams,
    limit: number,
  ): Promise<number[][]> {
    const result: number[][] = [];
    let token: string | undefined;
    do {
      const query = parseListQuery(eventsCollection, {
        ...params,
        limit: String(limit),
        continue: token,
      });
      const page = await listEvents(store.db, scope, query);
      result.push(page.rows.map((event) => event.id));
      token = page.continueToken;
    } while (token !== undefined && result.length < 20);
    return result;
  }

  it('lists newest first by default, page by page', async () => {
    expect(await pages(null, {}, 3)).toEqual([[7, 6, 5], [4, 3, 2], [1]]);
    expect(await pages(null, {}, 7)).toEqual([[7, 6, 5, 4, 3, 2, 1]]);
  });

  it('keeps newest-first paging under a filter and a scope', async () => {
    expect(await pages(null, { filter: `type eq 'account.created'` }, 2)).toEqual([
      [7, 5],
      [3, 1],
    ]);
    expect(await pages(null, { filter: `at lt '2026-03-01T10:02:00Z'` }, 2)).toEqual([[3, 2], [1]]);
    expect(await pages(['acc-a'], {}, 3)).toEqual([[4, 3, 2], [1]]);
    expect(await pages(null, { filter: 'accountId eq null' }, 2)).toEqual([[7, 6], [5]]);
  });

  it('breaks ties of an explicit order by the key, ascending', async () => {
    expect(await pages(null, { orderBy: 'at desc' }, 2)).toEqual([[7, 4], [5, 6], [2, 3], [1]]);
    expect(await pages(null, { orderBy: 'at desc,id desc' }, 4)).toEqual([
      [7, 6, 5, 4],
      [3, 2, 1],
    ]);
    expect(await pages(null, { orderBy: 'at,type desc' }, 3)).toEqual([[1, 2, 3], [4, 6, 5], [7]]);
  });
});

describe('products paging by integer id', () => {
  let store: Store;
  let dispose: () => Promise<void>;
  // As text these would sort 10, 100, 2, 20, 3.
  const ids = [20, 3, 100, 2, 10];

  beforeAll(async () => {
    ({ store, dispose } = await openTempStore());
    for (const id of ids) {
      await store.db
        .insertInto('products')
        .values({
          id,
          slug: `p-${String(id)}`,
          name: `Product ${String(id)}`,
          group_name: id % 2 === 0 ? 'even' : null,
          description: '',
          created_at: '2026-01-01T00:00:00.000Z',
          updated_at: '2026-01-01T00:00:00.000Z',
        })
        .execute();
    }
  });
  afterAll(async () => {
    await dispose();
  });

  async function pages(params: RawListParams, limit: number): Promise<number[][]> {
    const result: number[][] = [];
    let token: string | undefined;
    do {
      const query = parseListQuery(productsCollection, {
        ...params,
        limit: String(limit),
        continue: token,
      });
      const page = await listProducts(store.db, query);
      result.push(page.rows.map((product) => product.id));
      token = page.continueToken;
    } while (token !== undefined && result.length < 20);
    return result;
  }

  it('pages in numeric id order, both ways', async () => {
    expect(await pages({}, 2)).toEqual([[2, 3], [10, 20], [100]]);
    expect(await pages({ orderBy: 'id desc' }, 2)).toEqual([[100, 20], [10, 3], [2]]);
  });

  it('keeps the cursor numeric', async () => {
    const first = await listProducts(store.db, parseListQuery(productsCollection, { limit: '2' }));
    const token = first.continueToken;
    if (token === undefined) throw new Error('expected a continue token');
    const payload = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as unknown;
    expect(payload).toMatchObject({ a: [3] });
  });

  it('combines an integer filter, a nullable sort key and paging', async () => {
    expect(await pages({ filter: 'id gt 2 and id lte 100' }, 2)).toEqual([
      [3, 10],
      [20, 100],
    ]);
    expect(await pages({ orderBy: 'group desc' }, 2)).toEqual([[2, 10], [20, 100], [3]]);
    expect(await pages({ orderBy: 'group' }, 3)).toEqual([
      [3, 2, 10],
      [20, 100],
    ]);
  });
});
