import {
  sql,
  type Expression,
  type ExpressionBuilder,
  type SelectQueryBuilder,
  type SqlBool,
} from 'kysely';
import {
  encodeContinue,
  type CollectionSpec,
  type Condition,
  type ListQuery,
  type OrderTerm,
  type ScalarValue,
} from '../domain/query.js';

export interface Page<Row> {
  rows: Row[];
  /** Present when more rows follow. */
  continueToken?: string;
  /** Present when the query asked for `count=true`: rows matching the filter, ignoring paging. */
  count?: number;
}

const SQL_OPERATORS = { eq: '=', ne: '<>', lt: '<', gt: '>', lte: '<=', gte: '>=' } as const;

/**
 * Runs one page of a collection query in SQL: filter, keyset cursor, order, skip and limit.
 * `base` is the scoped query (tenant scope already applied); it must select every column the spec
 * names. One extra row is fetched to know whether a continue token is needed.
 */
export async function listPage<DB, TB extends keyof DB, Row extends object>(
  base: SelectQueryBuilder<DB, TB, Row>,
  spec: CollectionSpec,
  query: ListQuery,
): Promise<Page<Row>> {
  let filtered = base;
  for (const condition of query.filter) {
    filtered = filtered.where((eb) => conditionExpression(eb, spec, condition));
  }

  let paged = filtered;
  const after = query.after;
  if (after !== null) {
    paged = paged.where((eb) => afterCursor(eb, spec, query.orderBy, after));
  }
  for (const term of query.orderBy) {
    paged = paged.orderBy(sortExpression(spec, term.field), term.direction);
  }
  // `skip` positions the first page; a continue token already carries the position.
  const fetched = await paged
    .limit(query.limit + 1)
    .offset(after === null ? query.skip : 0)
    .execute();

  const rows = fetched.slice(0, query.limit) as Row[];
  const page: Page<Row> = { rows };
  const last = rows.at(-1);
  if (fetched.length > query.limit && last !== undefined) {
    page.continueToken = encodeContinue(query, cursorValues(spec, query.orderBy, last));
  }
  if (query.count) {
    const counted = await filtered
      .clearSelect()
      .clearOrderBy()
      .select(sql<number>`count(*)`.as('count'))
      .executeTakeFirst();
    page.count = Number((counted as { count?: unknown } | undefined)?.count ?? 0);
  }
  return page;
}

function column(spec: CollectionSpec, field: string): string {
  const fieldSpec = spec.fields[field];
  if (fieldSpec === undefined) throw new Error(`collection ${spec.name} has no field ${field}`);
  return fieldSpec.column;
}

/**
 * What a missing number sorts as: after every number, as SQLite orders '' after numbers. A typed
 * sentinel, because PostgreSQL cannot coalesce a number with ''.
 */
const MISSING_NUMBER = Number.MAX_SAFE_INTEGER;

function isNumeric(spec: CollectionSpec, field: string): boolean {
  const type = spec.fields[field]?.type;
  return type === 'integer' || type === 'number';
}

/** Nullable sort keys are compared through coalesce, so that the keyset order is total. */
function sortExpression(spec: CollectionSpec, field: string): Expression<unknown> {
  const fieldSpec = spec.fields[field];
  const ref = sql.ref(column(spec, field));
  if (fieldSpec?.nullable !== true) return ref;
  return isNumeric(spec, field)
    ? sql`coalesce(${ref}, ${sql.lit(MISSING_NUMBER)})`
    : sql`coalesce(${ref}, '')`;
}

function toSqlValue(value: ScalarValue): string | number | null {
  if (typeof value === 'boolean') return value ? 1 : 0;
  return value;
}

function conditionExpression<DB, TB extends keyof DB>(
  eb: ExpressionBuilder<DB, TB>,
  spec: CollectionSpec,
  condition: Condition,
): Expression<SqlBool> {
  const ref = sql.ref(column(spec, condition.field));
  if (condition.value === null) {
    return condition.op === 'eq' ? eb(ref, 'is', null) : eb(ref, 'is not', null);
  }
  const comparison = eb(ref, SQL_OPERATORS[condition.op], toSqlValue(condition.value));
  // "not equal to x" includes rows with no value at all, as a reader expects (SQL's <> would not).
  if (condition.op === 'ne' && spec.fields[condition.field]?.nullable === true) {
    return eb.or([comparison, eb(ref, 'is', null)]);
  }
  return comparison;
}

/** (k1, k2, …) strictly after the cursor, each key in its own direction. */
function afterCursor<DB, TB extends keyof DB>(
  eb: ExpressionBuilder<DB, TB>,
  spec: CollectionSpec,
  order: OrderTerm[],
  after: ScalarValue[],
): Expression<SqlBool> {
  const alternatives = order.map((term, i) => {
    const equalities = order
      .slice(0, i)
      .map((previous, j) =>
        eb(sortExpression(spec, previous.field), '=', toSqlValue(after[j] ?? null)),
      );
    const beyond = eb(
      sortExpression(spec, term.field),
      term.direction === 'asc' ? '>' : '<',
      toSqlValue(after[i] ?? null),
    );
    return eb.and([...equalities, beyond]);
  });
  return eb.or(alternatives);
}

function cursorValues(spec: CollectionSpec, order: OrderTerm[], row: object): ScalarValue[] {
  const record = row as Record<string, unknown>;
  return order.map((term) => {
    const fieldSpec = spec.fields[term.field];
    // A qualified column (`licenses.id`) comes back under its bare name.
    const value = record[column(spec, term.field).split('.').pop() ?? ''];
    if (value === null || value === undefined) {
      if (fieldSpec?.nullable !== true) return null;
      return isNumeric(spec, term.field) ? MISSING_NUMBER : '';
    }
    if (typeof value === 'string' || typeof value === 'number') return value;
    if (typeof value === 'boolean') return value;
    if (typeof value === 'bigint') return Number(value);
    if (value instanceof Date) return value.toISOString();
    return JSON.stringify(value);
  });
}
