import { describe, expect, it } from 'vitest';
import { InvalidParams, type FieldIssue } from '../../src/domain/errors.js';
import {
  encodeContinue,
  parseListQuery,
  type CollectionSpec,
  type Condition,
  type ListQuery,
  type RawListParams,
} from '../../src/domain/query.js';
import { problemForDomainError } from '../../src/http/problems.js';
import { accountsCollection } from '../../src/store/accounts.repository.js';
import { eventsCollection } from '../../src/store/events.repository.js';
import { productsCollection } from '../../src/store/products.repository.js';

const accounts = accountsCollection;

/** Parses and returns the error, failing the test when parsing succeeds or throws anything else. */
function invalid(spec: CollectionSpec, raw: RawListParams): InvalidParams {
  let query: ListQuery | undefined;
  try {
    query = parseListQuery(spec, raw);
  } catch (error) {
    if (error instanceof InvalidParams) return error;
    throw error;
  }
  throw new Error(`expected InvalidParams, parsed ${JSON.stringify(query)}`);
}

function issuesOf(spec: CollectionSpec, raw: RawListParams): FieldIssue[] {
  return invalid(spec, raw).issues;
}

/** Expects exactly one issue, for `name`, whose reason contains every fragment. */
function expectOneIssue(
  spec: CollectionSpec,
  raw: RawListParams,
  name: string,
  ...fragments: string[]
): void {
  const issues = issuesOf(spec, raw);
  expect(issues.map((issue) => issue.name)).toEqual([name]);
  for (const fragment of fragments) expect(issues[0]?.reason).toContain(fragment);
}

function filterOf(spec: CollectionSpec, filter: string): Condition[] {
  return parseListQuery(spec, { filter }).filter;
}

/** A spec with the field types no real collection uses yet (number, boolean). */
const gadgets: CollectionSpec = {
  name: 'gadgets',
  fields: {
    id: { type: 'integer', column: 'id' },
    weight: { type: 'number', column: 'weight' },
    active: { type: 'boolean', column: 'active' },
    secret: { type: 'string', column: 'secret', filterable: false, sortable: false },
  },
  key: 'id',
  defaultOrder: [],
  includable: ['id', 'weight', 'active'],
  defaultLimit: 20,
  maxLimit: 50,
};

describe('parseListQuery defaults', () => {
  it('returns the collection defaults for an empty request', () => {
    const query = parseListQuery(accounts, {});
    expect(query).toMatchObject({
      filter: [],
      orderBy: [{ field: 'id', direction: 'asc' }],
      limit: 100,
      skip: 0,
      count: false,
      include: null,
      after: null,
    });
    expect(query.fingerprint).toMatch(/^[A-Za-z0-9_-]{16}$/);
  });

  it('treats empty and blank parameters as absent', () => {
    const query = parseListQuery(accounts, {
      filter: '   ',
      orderBy: ' ',
      limit: '',
      skip: '',
      count: '',
      continue: '',
      include: '  ',
    });
    expect(query).toEqual(parseListQuery(accounts, {}));
  });

  it('uses the default order of the collection, which may be descending', () => {
    expect(parseListQuery(eventsCollection, {}).orderBy).toEqual([
      { field: 'id', direction: 'desc' },
    ]);
    expect(parseListQuery(gadgets, {}).orderBy).toEqual([{ field: 'id', direction: 'asc' }]);
    expect(parseListQuery(gadgets, {}).limit).toBe(20);
  });
});

describe('filter: operators and joining', () => {
  it.each(['eq', 'ne', 'lt', 'gt', 'lte', 'gte'] as const)('parses the %s operator', (op) => {
    expect(filterOf(accounts, `name ${op} 'Acme'`)).toEqual([{ field: 'name', op, value: 'Acme' }]);
  });

  it('accepts operators in any case and stores them in lower case', () => {
    expect(filterOf(accounts, `name GTE 'a' and id Ne 'x'`)).toEqual([
      { field: 'name', op: 'gte', value: 'a' },
      { field: 'id', op: 'ne', value: 'x' },
    ]);
  });

  it.each(['and', 'AND', 'And', 'aNd'])('joins conditions with %s', (joiner) => {
    expect(
      filterOf(
        accounts,
        `name eq 'Acme' ${joiner} createdAt gt '2026-01-01T00:00:00Z' ${joiner} orgId eq null`,
      ),
    ).toEqual([
      { field: 'name', op: 'eq', value: 'Acme' },
      { field: 'createdAt', op: 'gt', value: '2026-01-01T00:00:00.000Z' },
      { field: 'orgId', op: 'eq', value: null },
    ]);
  });

  it('ignores extra whitespace (spaces, tabs, newlines) between tokens', () => {
    expect(filterOf(accounts, `  name\teq\n'Acme'   and\t\tid  ne  'b'  `)).toEqual([
      { field: 'name', op: 'eq', value: 'Acme' },
      { field: 'id', op: 'ne', value: 'b' },
    ]);
  });

  it('keeps conditions in the order written, repeating a field if asked', () => {
    expect(filterOf(accounts, `name gte 'a' and name lt 'm'`)).toEqual([
      { field: 'name', op: 'gte', value: 'a' },
      { field: 'name', op: 'lt', value: 'm' },
    ]);
  });
});

describe('filter: quoted strings', () => {
  it.each([
    [`name eq 'Acme Corp'`, 'Acme Corp'],
    [`name eq "Acme Corp"`, 'Acme Corp'],
    [`name eq 'O''Brien'`, "O'Brien"],
    [`name eq "Say ""hi"""`, 'Say "hi"'],
    [`name eq "O'Brien"`, "O'Brien"],
    [`name eq 'Say "hi"'`, 'Say "hi"'],
    [`name eq ''`, ''],
    [`name eq """"`, '"'],
    [`name eq 'and'`, 'and'],
    [`name eq 'a and b eq ''c'''`, "a and b eq 'c'"],
    [`name eq '  padded  '`, '  padded  '],
  ])('%s → %j', (filter, value) => {
    expect(filterOf(accounts, filter)).toEqual([{ field: 'name', op: 'eq', value }]);
  });

  it('reads a value quoted with one quote type up to the same quote type', () => {
    expect(filterOf(accounts, `name eq 'x' and id eq "y"`)).toEqual([
      { field: 'name', op: 'eq', value: 'x' },
      { field: 'id', op: 'eq', value: 'y' },
    ]);
  });

  it('treats a quoted null as the string "null", not as null', () => {
    expect(filterOf(accounts, `orgId eq 'null'`)).toEqual([
      { field: 'orgId', op: 'eq', value: 'null' },
    ]);
    expect(filterOf(accounts, `name eq 'null'`)).toEqual([
      { field: 'name', op: 'eq', value: 'null' },
    ]);
  });

  it.each([`name eq 'Acme`, `name eq "Acme`, `name eq 'O''Brien`, `name eq 'x' and id eq '`])(
    'rejects the unterminated quote in %s',
    (filter) => {
      expectOneIssue(accounts, { filter }, 'filter', 'unterminated quoted string');
    },
  );
});

describe('filter: typed values', () => {
  it('parses integers on an integer field', () => {
    expect(filterOf(productsCollection, 'id eq 42')).toEqual([
      { field: 'id', op: 'eq', value: 42 },
    ]);
    expect(filterOf(eventsCollection, 'id gt -7')).toEqual([{ field: 'id', op: 'gt', value: -7 }]);
    expect(filterOf(productsCollection, `id lte '15'`)).toEqual([
      { field: 'id', op: 'lte', value: 15 },
    ]);
  });

  it.each([`'abc'`, 'abc', '1.5', '1e3', `''`, '0x10', '1234567890123456'])(
    'rejects %s on an integer field',
    (value) => {
      expectOneIssue(
        productsCollection,
        { filter: `id eq ${value}` },
        'filter',
        "the value for 'id' must be an integer",
      );
    },
  );

  it('normalizes timestamps to UTC with milliseconds', () => {
    const at = (text: string) => filterOf(accounts, `createdAt gt ${text}`)[0]?.value;
    expect(at(`'2026-01-01T00:00:00Z'`)).toBe('2026-01-01T00:00:00.000Z');
    expect(at(`2026-01-01T00:00:00Z`)).toBe('2026-01-01T00:00:00.000Z');
    expect(at(`"2026-01-01T00:00:00.5Z"`)).toBe('2026-01-01T00:00:00.500Z');
    expect(at(`'2026-01-01T01:30:00+01:30'`)).toBe('2026-01-01T00:00:00.000Z');
    expect(at(`'2025-12-31T23:00:00-01:00'`)).toBe('2026-01-01T00:00:00.000Z');
    expect(at(`'2026-01-01'`)).toBe('2026-01-01T00:00:00.000Z');
    expect(filterOf(eventsCollection, `at lte '2026-06-30T12:34:56.789Z'`)).toEqual([
      { field: 'at', op: 'lte', value: '2026-06-30T12:34:56.789Z' },
    ]);
  });

  it('accepts leap days and extra fractional zeros', () => {
    const at = (text: string) => filterOf(accounts, `createdAt gt ${text}`)[0]?.value;
    expect(at(`'2028-02-29T00:00:00Z'`)).toBe('2028-02-29T00:00:00.000Z');
    expect(at(`'2026-01-01T00:00:00.123000000Z'`)).toBe('2026-01-01T00:00:00.123Z');
  });

  it('reads a timestamp without an offset as UTC, whatever the server time zone', () => {
    const saved = process.env.TZ;
    try {
      for (const zone of ['UTC', 'America/New_York', 'Asia/Kolkata']) {
        process.env.TZ = zone;
        expect(filterOf(accounts, `createdAt gt '2026-01-01T00:00:00'`)[0]?.value).toBe(
          '2026-01-01T00:00:00.000Z',
        );
        expect(filterOf(accounts, `createdAt gt '2026-07-01T10:20'`)[0]?.value).toBe(
          '2026-07-01T10:20:00.000Z',
        );
      }
    } finally {
      if (saved === undefined) delete process.env.TZ;
      else process.env.TZ = saved;
    }
  });

  it.each([
    `'yesterday'`,
    `'now'`,
    `'2026-13-01'`,
    `'2026-01-01T25:00:00Z'`,
    `''`,
    `1767225600000`,
    `'2026-02-30'`,
    `'2025-02-29T00:00:00Z'`,
    `'2026-04-31T10:00:00Z'`,
    `'2026-01-01T23:60:00Z'`,
    `'2026-01-01T00:00:00.0005Z'`,
  ])('rejects %s on a timestamp field', (value) => {
    expectOneIssue(
      accounts,
      { filter: `createdAt gt ${value}` },
      'filter',
      "the value for 'createdAt' must be an ISO-8601 date-time with at most millisecond precision",
    );
  });

  it.each(['Acme', 'true', '42', 'nul'])(
    'rejects the unquoted value %s on a string field',
    (value) => {
      expectOneIssue(
        accounts,
        { filter: `name eq ${value}` },
        'filter',
        "the value for 'name' must be a quoted string",
      );
    },
  );

  it('accepts null on a nullable field with eq and ne', () => {
    expect(filterOf(accounts, 'orgId eq null')).toEqual([
      { field: 'orgId', op: 'eq', value: null },
    ]);
    expect(filterOf(accounts, 'orgId NE null')).toEqual([
      { field: 'orgId', op: 'ne', value: null },
    ]);
    expect(filterOf(eventsCollection, 'accountId eq null and requestId ne null')).toEqual([
      { field: 'accountId', op: 'eq', value: null },
      { field: 'requestId', op: 'ne', value: null },
    ]);
  });

  it.each(['lt', 'gt', 'lte', 'gte'])('rejects null with %s', (op) => {
    expectOneIssue(
      accounts,
      { filter: `orgId ${op} null` },
      'filter',
      'null only compares with eq or ne',
    );
  });

  it.each([
    [accounts, 'name'],
    [accounts, 'id'],
    [accounts, 'createdAt'],
    [productsCollection, 'id'],
  ] as const)('rejects null on the non-nullable field %#', (spec, field) => {
    expectOneIssue(spec, { filter: `${field} eq null` }, 'filter', `'${field}' is never null`);
  });

  it('parses numbers and booleans on fields of those types', () => {
    expect(filterOf(gadgets, 'weight gt 1.5 and weight lt -2e3 and active eq true')).toEqual([
      { field: 'weight', op: 'gt', value: 1.5 },
      { field: 'weight', op: 'lt', value: -2000 },
      { field: 'active', op: 'eq', value: true },
    ]);
    expect(filterOf(gadgets, `active ne 'false'`)).toEqual([
      { field: 'active', op: 'ne', value: false },
    ]);
  });

  it('rejects bad numbers and booleans, and ordering comparisons on booleans', () => {
    expectOneIssue(gadgets, { filter: 'weight eq heavy' }, 'filter', "'weight' must be a number");
    expectOneIssue(gadgets, { filter: `weight eq ''` }, 'filter', "'weight' must be a number");
    expectOneIssue(
      gadgets,
      { filter: 'weight eq Infinity' },
      'filter',
      "'weight' must be a number",
    );
    expectOneIssue(
      gadgets,
      { filter: 'active eq yes' },
      'filter',
      "'active' must be true or false",
    );
    expectOneIssue(gadgets, { filter: 'active lt true' }, 'filter', 'only compares with eq or ne');
  });
});

describe('filter: syntax errors', () => {
  it('names an unknown field and lists the filterable ones', () => {
    expectOneIssue(
      accounts,
      { filter: `nmae eq 'Acme'` },
      'filter',
      "unknown field 'nmae'",
      'filterable fields: id, name, orgId, createdAt, updatedAt',
    );
  });

  it('rejects fields that exist but are not filterable, and output-only properties', () => {
    expectOneIssue(gadgets, { filter: `secret eq 'x'` }, 'filter', "unknown field 'secret'");
    expectOneIssue(accounts, { filter: `settings eq '{}'` }, 'filter', "unknown field 'settings'");
  });

  it('rejects a quoted or malformed field name', () => {
    expectOneIssue(
      accounts,
      { filter: `'name' eq 'x'` },
      'filter',
      "expected a field name, found 'name'",
    );
    expectOneIssue(
      accounts,
      { filter: `9name eq 'x'` },
      'filter',
      "expected a field name, found '9name'",
    );
  });

  it.each(['like', 'contains', '=', '==', 'eqq'])('names the unknown operator %s', (op) => {
    expectOneIssue(
      accounts,
      { filter: `name ${op} 'Acme'` },
      'filter',
      `unknown operator '${op}'`,
      'eq, ne, lt, gt, lte, gte',
    );
  });

  it('rejects a quoted operator', () => {
    expectOneIssue(accounts, { filter: `name 'eq' 'Acme'` }, 'filter', "unknown operator 'eq'");
  });

  it('names trailing garbage after a complete condition', () => {
    expectOneIssue(
      accounts,
      { filter: `name eq 'Acme' extra` },
      'filter',
      "expected 'and' between conditions, found 'extra'",
    );
    expectOneIssue(
      accounts,
      { filter: `name eq 'Acme' or name eq 'Beta'` },
      'filter',
      "found 'or'",
    );
    expectOneIssue(
      accounts,
      { filter: `name eq 'Acme' 'and' id eq 'x'` },
      'filter',
      "expected 'and' between conditions, found 'and'",
    );
  });

  it('names what is missing at the end of the filter', () => {
    expectOneIssue(
      accounts,
      { filter: 'name eq' },
      'filter',
      "expected a value for 'name' at end of filter",
    );
    expectOneIssue(accounts, { filter: 'name' }, 'filter', 'expected an operator at end of filter');
    expectOneIssue(
      accounts,
      { filter: `name eq 'Acme' and` },
      'filter',
      'expected a field name at end of filter',
    );
  });

  it('is an INVALID_PARAMS domain error that the API answers with a 400 problem', () => {
    const error = invalid(accounts, { filter: `bogus eq 'x'` });
    expect(error.code).toBe('INVALID_PARAMS');
    const problem = problemForDomainError(error, 'corr-1');
    expect(problem.status).toBe(400);
    expect(problem.type).toBe('/problems/invalid-params');
    expect(problem.invalidParams).toEqual([
      { name: 'filter', reason: expect.stringContaining("unknown field 'bogus'") as unknown },
    ]);
  });
});

describe('orderBy', () => {
  it('parses terms with and without directions', () => {
    expect(parseListQuery(accounts, { orderBy: 'name desc,id' }).orderBy).toEqual([
      { field: 'name', direction: 'desc' },
      { field: 'id', direction: 'asc' },
    ]);
    expect(parseListQuery(accounts, { orderBy: ' orgId  DESC , createdAt Asc ' }).orderBy).toEqual([
      { field: 'orgId', direction: 'desc' },
      { field: 'createdAt', direction: 'asc' },
      { field: 'id', direction: 'asc' },
    ]);
  });

  it('always appends the collection key (ascending) unless it is already ordered on', () => {
    expect(parseListQuery(accounts, { orderBy: 'name' }).orderBy).toEqual([
      { field: 'name', direction: 'asc' },
      { field: 'id', direction: 'asc' },
    ]);
    expect(parseListQuery(accounts, { orderBy: 'updatedAt desc,name desc' }).orderBy).toEqual([
      { field: 'updatedAt', direction: 'desc' },
      { field: 'name', direction: 'desc' },
      { field: 'id', direction: 'asc' },
    ]);
    expect(parseListQuery(accounts, { orderBy: 'id desc,name' }).orderBy).toEqual([
      { field: 'id', direction: 'desc' },
      { field: 'name', direction: 'asc' },
    ]);
    expect(parseListQuery(eventsCollection, { orderBy: 'at desc' }).orderBy).toEqual([
      { field: 'at', direction: 'desc' },
      { field: 'id', direction: 'asc' },
    ]);
    expect(parseListQuery(productsCollection, { orderBy: 'group desc' }).orderBy).toEqual([
      { field: 'group', direction: 'desc' },
      { field: 'id', direction: 'asc' },
    ]);
  });

  it('names an unknown or unsortable field and lists the sortable ones', () => {
    expectOneIssue(
      accounts,
      { orderBy: 'bogus desc' },
      'orderBy',
      "unknown field 'bogus'",
      'sortable fields: id, name, orgId, createdAt, updatedAt',
    );
    expectOneIssue(gadgets, { orderBy: 'secret' }, 'orderBy', "unknown field 'secret'");
  });

  it('names a bad direction', () => {
    expectOneIssue(
      accounts,
      { orderBy: 'name descending' },
      'orderBy',
      "unknown direction 'descending'; use asc or desc",
    );
  });

  it('names a field that appears twice, whatever the directions', () => {
    expectOneIssue(
      accounts,
      { orderBy: 'name,name desc' },
      'orderBy',
      "'name' appears more than once",
    );
    expectOneIssue(
      accounts,
      { orderBy: 'id desc,name,id' },
      'orderBy',
      "'id' appears more than once",
    );
  });

  it('rejects malformed terms', () => {
    expectOneIssue(
      accounts,
      { orderBy: 'name desc extra' },
      'orderBy',
      "'name desc extra'",
      'field [asc|desc]',
    );
    expectOneIssue(accounts, { orderBy: 'name,' }, 'orderBy', "'' is not of the form");
    expectOneIssue(accounts, { orderBy: ',name' }, 'orderBy', "'' is not of the form");
  });
});

describe('limit, skip, count', () => {
  it('reads limit within 1..maxLimit, defaulting to the collection default', () => {
    expect(parseListQuery(accounts, {}).limit).toBe(100);
    expect(parseListQuery(accounts, { limit: '1' }).limit).toBe(1);
    expect(parseListQuery(accounts, { limit: '37' }).limit).toBe(37);
    expect(parseListQuery(accounts, { limit: '1000' }).limit).toBe(1000);
    expect(parseListQuery(gadgets, { limit: '50' }).limit).toBe(50);
  });

  it.each([
    ['0', 'must be between 1 and 1000, got 0'],
    ['1001', 'must be between 1 and 1000, got 1001'],
    ['abc', "must be an integer, got 'abc'"],
    ['-5', "must be an integer, got '-5'"],
    ['2.5', "must be an integer, got '2.5'"],
    [' 5', "must be an integer, got ' 5'"],
  ])('rejects limit=%j', (limit, reason) => {
    expect(issuesOf(accounts, { limit })).toEqual([{ name: 'limit', reason }]);
  });

  it('applies the maxLimit of the collection', () => {
    expect(issuesOf(gadgets, { limit: '51' })).toEqual([
      { name: 'limit', reason: 'must be between 1 and 50, got 51' },
    ]);
  });

  it('reads skip as a non-negative integer, defaulting to 0', () => {
    expect(parseListQuery(accounts, {}).skip).toBe(0);
    expect(parseListQuery(accounts, { skip: '0' }).skip).toBe(0);
    expect(parseListQuery(accounts, { skip: '250' }).skip).toBe(250);
  });

  it.each([
    ['-1', "must be an integer, got '-1'"],
    ['abc', "must be an integer, got 'abc'"],
    ['1.5', "must be an integer, got '1.5'"],
    ['9007199254740992', 'must be between 0 and 9007199254740991, got 9007199254740992'],
  ])('rejects skip=%j', (skip, reason) => {
    expect(issuesOf(accounts, { skip })).toEqual([{ name: 'skip', reason }]);
  });

  it('reads count as true or false', () => {
    expect(parseListQuery(accounts, { count: 'true' }).count).toBe(true);
    expect(parseListQuery(accounts, { count: 'false' }).count).toBe(false);
    expect(parseListQuery(accounts, {}).count).toBe(false);
  });

  it.each(['yes', '1', 'True'])('rejects count=%j', (count) => {
    expect(issuesOf(accounts, { count })).toEqual([
      { name: 'count', reason: `must be true or false, got '${count}'` },
    ]);
  });
});

describe('include', () => {
  it('keeps the named output properties in the order given', () => {
    expect(parseListQuery(accounts, { include: 'name,id' }).include).toEqual(['name', 'id']);
    expect(parseListQuery(accounts, { include: ' settings , orgId ' }).include).toEqual([
      'settings',
      'orgId',
    ]);
    expect(parseListQuery(eventsCollection, { include: 'summary' }).include).toEqual(['summary']);
  });

  it('names an unknown property and lists the known ones', () => {
    expectOneIssue(
      accounts,
      { include: 'name,secret' },
      'include',
      "unknown field 'secret'",
      'id, name, orgId, settings, createdAt, updatedAt',
    );
    expectOneIssue(accounts, { include: 'name,' }, 'include', "unknown field ''");
    expectOneIssue(productsCollection, { include: 'orgId' }, 'include', "unknown field 'orgId'");
  });
});

describe('several bad parameters', () => {
  it('reports every bad parameter in one error, in parameter order', () => {
    const issues = issuesOf(accounts, {
      filter: `bogus eq 'x'`,
      orderBy: 'name sideways',
      limit: '0',
      skip: '-1',
      count: 'yes',
      continue: 'garbage',
      include: 'nope',
    });
    expect(issues.map((issue) => issue.name)).toEqual([
      'filter',
      'orderBy',
      'limit',
      'skip',
      'count',
      'include',
      'continue',
    ]);
    expect(issues.map((issue) => issue.reason)).toEqual([
      expect.stringContaining("unknown field 'bogus'"),
      expect.stringContaining("unknown direction 'sideways'"),
      'must be between 1 and 1000, got 0',
      "must be an integer, got '-1'",
      "must be true or false, got 'yes'",
      expect.stringContaining("unknown field 'nope'"),
      'is not a continue token issued by this collection',
    ]);
  });

  it('reports only the bad ones when good and bad parameters are mixed', () => {
    const issues = issuesOf(accounts, {
      filter: `name eq 'Acme'`,
      orderBy: 'name',
      limit: '1001',
      count: 'true',
      include: 'bogus',
    });
    expect(issues.map((issue) => issue.name)).toEqual(['limit', 'include']);
  });
});

describe('continue tokens', () => {
  const filter = `name eq 'Acme'`;
  const orderBy = 'name desc';
  const first = parseListQuery(accounts, { filter, orderBy, limit: '2' });
  const token = encodeContinue(first, ['Acme', 'acc-7']);

  it('are accepted with the same filter and orderBy, restoring the cursor', () => {
    const next = parseListQuery(accounts, { filter, orderBy, limit: '2', continue: token });
    expect(next.after).toEqual(['Acme', 'acc-7']);
    expect(next.fingerprint).toBe(first.fingerprint);
  });

  it('are bound to the filter and ordering, not to limit, skip, count or include', () => {
    const next = parseListQuery(accounts, {
      filter,
      orderBy,
      limit: '50',
      skip: '3',
      count: 'true',
      include: 'id',
      continue: token,
    });
    expect(next.after).toEqual(['Acme', 'acc-7']);
  });

  it('are accepted when the same query is spelled differently', () => {
    const respelled = parseListQuery(accounts, {
      filter: `name EQ "Acme"`,
      orderBy: 'name DESC , id asc',
      continue: token,
    });
    expect(respelled.after).toEqual(['Acme', 'acc-7']);

    const byDate = parseListQuery(accounts, {
      filter: `createdAt gt '2026-01-01T00:00:00Z' and orgId eq null`,
    });
    const dateToken = encodeContinue(byDate, ['a']);
    const sameDate = parseListQuery(accounts, {
      filter: `createdAt GT '2026-01-01T01:00:00.000+01:00' AND orgId eq null`,
      orderBy: 'id',
      continue: dateToken,
    });
    expect(sameDate.after).toEqual(['a']);
  });

  const otherQuery = 'was issued for another filter or orderBy; repeat the original query with it';
  const notOurs = 'is not a continue token issued by this collection';

  it.each([
    ['another filter', { filter: `name eq 'Beta'`, orderBy }, otherQuery],
    ['no filter', { orderBy }, otherQuery],
    ['an extra condition', { filter: `${filter} and orgId eq null`, orderBy }, otherQuery],
    ['another direction', { filter, orderBy: 'name asc' }, otherQuery],
    ['another field', { filter, orderBy: 'orgId desc' }, otherQuery],
    // The cursor has two values but the default order has one term: still "another query".
    ['the default order', { filter }, otherQuery],
  ] as const)('are rejected when replayed with %s', (_label, params, reason) => {
    expect(issuesOf(accounts, { ...params, continue: token })).toEqual([
      { name: 'continue', reason },
    ]);
  });

  it('are rejected on another collection', () => {
    const productToken = encodeContinue(parseListQuery(productsCollection, {}), [5]);
    expect(parseListQuery(productsCollection, { continue: productToken }).after).toEqual([5]);
    expect(issuesOf(eventsCollection, { orderBy: 'id', continue: productToken })).toEqual([
      { name: 'continue', reason: otherQuery },
    ]);
  });

  const b64 = (value: unknown) => Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');

  it.each([
    ['random text', 'garbage'],
    ['punctuation', '!!!'],
    ['base64 of non-JSON', Buffer.from('hello').toString('base64url')],
    ['a JSON string', b64('token')],
    ['JSON null', b64(null)],
    ['no cursor', b64({ q: first.fingerprint })],
    ['a non-string fingerprint', b64({ q: 1, a: ['Acme', 'x'] })],
    ['a cursor of objects', b64({ q: first.fingerprint, a: [{}, 'x'] })],
    ['too few values', b64({ q: first.fingerprint, a: ['Acme'] })],
    ['too many values', b64({ q: first.fingerprint, a: ['Acme', 'x', 'y'] })],
  ])('rejects a garbage token: %s', (_label, garbage) => {
    expect(issuesOf(accounts, { filter, orderBy, continue: garbage })).toEqual([
      { name: 'continue', reason: notOurs },
    ]);
  });
});
