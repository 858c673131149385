import { createHash } from 'node:crypto';
import { InvalidParams, type FieldIssue } from './errors.js';

/**
 * The collection query language shared by every native collection (and the Astra facade):
 * `filter`, `orderBy`, `limit`, `skip`, `count`, `continue`, `include`.
 *
 * This module only parses and checks a request against a collection's field list; the store turns
 * the parsed query into SQL (keyset paging), so no collection is ever loaded into memory.
 *
 * @example
 *   parseListQuery(accountsSpec, { filter: "name eq 'Acme' and createdAt gt '2026-01-01T00:00:00Z'", orderBy: 'name desc' })
 */

export type FieldType = 'string' | 'integer' | 'number' | 'boolean' | 'timestamp';
export type Operator = 'eq' | 'ne' | 'lt' | 'gt' | 'lte' | 'gte';
export type Direction = 'asc' | 'desc';
export type ScalarValue = string | number | boolean | null;

export interface FieldSpec {
  type: FieldType;
  /** Column name as the store selects it. */
  column: string;
  nullable?: boolean;
  filterable?: boolean;
  sortable?: boolean;
}

export interface CollectionSpec {
  /** Names the collection in continue tokens, so a token cannot be replayed on another one. */
  name: string;
  fields: Readonly<Record<string, FieldSpec>>;
  /** A unique, non-null field appended to every ordering so that paging is stable. */
  key: string;
  defaultOrder: readonly OrderTerm[];
  /** Names accepted by `include`: the resource's output properties. */
  includable: readonly string[];
  defaultLimit: number;
  maxLimit: number;
}

export interface Condition {
  field: string;
  op: Operator;
  value: ScalarValue;
}

export interface OrderTerm {
  field: string;
  direction: Direction;
}

export interface ListQuery {
  filter: Condition[];
  /** The requested ordering with the collection key appended (total order). */
  orderBy: OrderTerm[];
  limit: number;
  skip: number;
  count: boolean;
  include: string[] | null;
  /** Sort values of the last row of the previous page, one per `orderBy` term. */
  after: ScalarValue[] | null;
  /** Binds continue tokens to this collection, filter and ordering. */
  fingerprint: string;
}

export interface RawListParams {
  filter?: string | undefined;
  orderBy?: string | undefined;
  limit?: string | undefined;
  skip?: string | undefined;
  count?: string | undefined;
  continue?: string | undefined;
  include?: string | undefined;
}

const OPERATORS: ReadonlySet<string> = new Set(['eq', 'ne', 'lt', 'gt', 'lte', 'gte']);
const FIELD_NAME = /^[A-Za-z_][A-Za-z0-9_.]*$/;

/** Parses and checks every list parameter, reporting all problems at once (400 with invalidParams). */
export function parseListQuery(spec: CollectionSpec, raw: RawListParams): ListQuery {
  const issues: FieldIssue[] = [];
  const collect = <T>(name: string, parse: () => T, fallback: T): T => {
    try {
      return parse();
    } catch (error) {
      if (error instanceof QuerySyntaxError) {
        issues.push({ name, reason: error.message });
        return fallback;
      }
      throw error;
    }
  };

  const filter = collect('filter', () => parseFilter(spec, raw.filter), []);
  const requestedOrder = collect('orderBy', () => parseOrderBy(spec, raw.orderBy), []);
  const limit = collect(
    'limit',
    () => parseInteger(raw.limit, spec.defaultLimit, 1, spec.maxLimit),
    spec.defaultLimit,
  );
  const skip = collect('skip', () => parseInteger(raw.skip, 0, 0, Number.MAX_SAFE_INTEGER), 0);
  const count = collect('count', () => parseBoolean(raw.count), false);
  const include = collect('include', () => parseInclude(spec, raw.include), null);
  const orderBy = completeOrder(
    spec,
    requestedOrder.length > 0 ? requestedOrder : spec.defaultOrder,
  );
  const fingerprint = fingerprintOf(spec, filter, orderBy);
  const after = collect('continue', () => parseContinue(raw.continue, fingerprint, orderBy), null);

  if (issues.length > 0) throw new InvalidParams(issues);
  return { filter, orderBy, limit, skip, count, include, after, fingerprint };
}

/** Builds the opaque token that resumes listing after `lastRowValues` (one value per orderBy term). */
export function encodeContinue(query: ListQuery, lastRowValues: ScalarValue[]): string {
  return Buffer.from(JSON.stringify({ q: query.fingerprint, a: lastRowValues }), 'utf8').toString(
    'base64url',
  );
}

class QuerySyntaxError extends Error {}

function parseFilter(spec: CollectionSpec, text: string | undefined): Condition[] {
  if (text === undefined || text.trim() === '') return [];
  const tokens = tokenize(text);
  const conditions: Condition[] = [];
  let index = 0;
  const next = (what: string): Token => {
    const token = tokens[index++];
    if (token === undefined) throw new QuerySyntaxError(`expected ${what} at end of filter`);
    return token;
  };
  for (;;) {
    const fieldToken = next('a field name');
    if (fieldToken.quoted || !FIELD_NAME.test(fieldToken.text)) {
      throw new QuerySyntaxError(`expected a field name, found '${fieldToken.text}'`);
    }
    const field = fieldToken.text;
    // Own fields only: `constructor`, `__proto__`… are not fields.
    const fieldSpec = Object.hasOwn(spec.fields, field) ? spec.fields[field] : undefined;
    if (fieldSpec === undefined || fieldSpec.filterable === false) {
      throw new QuerySyntaxError(
        `unknown field '${field}'; filterable fields: ${filterableFields(spec).join(', ')}`,
      );
    }
    const opToken = next('an operator');
    const op = opToken.text.toLowerCase();
    if (opToken.quoted || !OPERATORS.has(op)) {
      throw new QuerySyntaxError(
        `unknown operator '${opToken.text}'; use one of eq, ne, lt, gt, lte, gte`,
      );
    }
    const valueToken = next(`a value for '${field}'`);
    conditions.push({
      field,
      op: op as Operator,
      value: parseValue(field, fieldSpec, op as Operator, valueToken),
    });
    const joiner = tokens[index++];
    if (joiner === undefined) return conditions;
    if (joiner.quoted || joiner.text.toLowerCase() !== 'and') {
      throw new QuerySyntaxError(`expected 'and' between conditions, found '${joiner.text}'`);
    }
  }
}

interface Token {
  text: string;
  quoted: boolean;
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const char = text.charAt(i);
    if (/\s/.test(char)) {
      i++;
      continue;
    }
    if (char === "'" || char === '"') {
      let value = '';
      let j = i + 1;
      for (;;) {
        if (j >= text.length) throw new QuerySyntaxError('unterminated quoted string');
        const c = text.charAt(j);
        if (c === char) {
          // A doubled quote inside a quoted string stands for one quote character.
          if (text.charAt(j + 1) === char) {
            value += char;
            j += 2;
            continue;
          }
          break;
        }
        value += c;
        j++;
      }
      tokens.push({ text: value, quoted: true });
      i = j + 1;
      continue;
    }
    let j = i;
    while (j < text.length && !/\s/.test(text.charAt(j))) j++;
    tokens.push({ text: text.slice(i, j), quoted: false });
    i = j;
  }
  return tokens;
}

function parseValue(field: string, spec: FieldSpec, op: Operator, token: Token): ScalarValue {
  if (!token.quoted && token.text === 'null') {
    if (spec.nullable !== true) throw new QuerySyntaxError(`'${field}' is never null`);
    if (op !== 'eq' && op !== 'ne') throw new QuerySyntaxError(`null only compares with eq or ne`);
    return null;
  }
  const text = token.text;
  switch (spec.type) {
    case 'string':
      if (!token.quoted) {
        throw new QuerySyntaxError(`the value for '${field}' must be a quoted string`);
      }
      return text;
    case 'integer': {
      if (!/^-?\d{1,15}$/.test(text)) {
        throw new QuerySyntaxError(`the value for '${field}' must be an integer`);
      }
      return Number(text);
    }
    case 'number': {
      const value = Number(text);
      if (text.trim() === '' || !Number.isFinite(value)) {
        throw new QuerySyntaxError(`the value for '${field}' must be a number`);
      }
      return value;
    }
    case 'boolean':
      if (text !== 'true' && text !== 'false') {
        throw new QuerySyntaxError(`the value for '${field}' must be true or false`);
      }
      if (op !== 'eq' && op !== 'ne') {
        throw new QuerySyntaxError(`'${field}' is a boolean and only compares with eq or ne`);
      }
      return text === 'true';
    case 'timestamp': {
      const at = parseTimestamp(text);
      if (at === null) {
        throw new QuerySyntaxError(
          `the value for '${field}' must be an ISO-8601 date-time with at most millisecond precision`,
        );
      }
      return at;
    }
  }
}

const ISO_PARTS =
  /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

/**
 * The instant an ISO-8601 text names, as stored (`toISOString`), or null when it names none:
 * impossible dates (`2026-02-30`) are refused rather than rolled over, and precision finer than the
 * store's milliseconds is refused rather than silently cut. Without an offset, the time is UTC.
 */
export function parseTimestamp(text: string): string | null {
  const parts = ISO_PARTS.exec(text);
  if (parts === null) return null;
  const [, year, month, day, hour = '00', minute = '00', second = '00', fraction = '', offset] =
    parts;
  if (/[1-9]/.test(fraction.slice(3))) return null;
  const y = Number(year);
  const m = Number(month);
  const d = Number(day);
  const calendar = new Date(Date.UTC(y, m - 1, d));
  if (calendar.getUTCMonth() !== m - 1 || calendar.getUTCDate() !== d) return null;
  if (Number(hour) > 23 || Number(minute) > 59 || Number(second) > 59) return null;
  const millis = fraction.slice(0, 3).padEnd(3, '0');
  const iso = `${year ?? ''}-${month ?? ''}-${day ?? ''}T${hour}:${minute}:${second}.${millis}${offset ?? 'Z'}`;
  const at = new Date(iso);
  return Number.isNaN(at.getTime()) ? null : at.toISOString();
}

function parseOrderBy(spec: CollectionSpec, text: string | undefined): OrderTerm[] {
  if (text === undefined || text.trim() === '') return [];
  const seen = new Set<string>();
  return text.split(',').map((part) => {
    const words = part.trim().split(/\s+/);
    const [field, direction = 'asc', extra] = words;
    if (field === undefined || field === '' || extra !== undefined) {
      throw new QuerySyntaxError(`'${part.trim()}' is not of the form 'field [asc|desc]'`);
    }
    const fieldSpec = Object.hasOwn(spec.fields, field) ? spec.fields[field] : undefined;
    if (fieldSpec === undefined || fieldSpec.sortable === false) {
      throw new QuerySyntaxError(
        `unknown field '${field}'; sortable fields: ${sortableFields(spec).join(', ')}`,
      );
    }
    const dir = direction.toLowerCase();
    if (dir !== 'asc' && dir !== 'desc') {
      throw new QuerySyntaxError(`unknown direction '${direction}'; use asc or desc`);
    }
    if (seen.has(field)) throw new QuerySyntaxError(`'${field}' appears more than once`);
    seen.add(field);
    return { field, direction: dir };
  });
}

function completeOrder(spec: CollectionSpec, order: readonly OrderTerm[]): OrderTerm[] {
  const terms = [...order];
  if (!terms.some((term) => term.field === spec.key)) {
    terms.push({ field: spec.key, direction: 'asc' });
  }
  return terms;
}

function parseInteger(
  text: string | undefined,
  fallback: number,
  min: number,
  max: number,
): number {
  if (text === undefined || text === '') return fallback;
  if (!/^\d+$/.test(text)) throw new QuerySyntaxError(`must be an integer, got '${text}'`);
  const value = Number(text);
  if (value < min || value > max) {
    throw new QuerySyntaxError(`must be between ${min} and ${max}, got ${text}`);
  }
  return value;
}

function parseBoolean(text: string | undefined): boolean {
  if (text === undefined || text === '') return false;
  if (text === 'true') return true;
  if (text === 'false') return false;
  throw new QuerySyntaxError(`must be true or false, got '${text}'`);
}

function parseInclude(spec: CollectionSpec, text: string | undefined): string[] | null {
  if (text === undefined || text.trim() === '') return null;
  const names = text.split(',').map((name) => name.trim());
  for (const name of names) {
    if (!spec.includable.includes(name)) {
      throw new QuerySyntaxError(
        `unknown field '${name}'; fields that can be included: ${spec.includable.join(', ')}`,
      );
    }
  }
  return names;
}

function parseContinue(
  text: string | undefined,
  fingerprint: string,
  orderBy: readonly OrderTerm[],
): ScalarValue[] | null {
  if (text === undefined || text === '') return null;
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    throw new QuerySyntaxError('is not a continue token issued by this collection');
  }
  if (!isContinuePayload(decoded)) {
    throw new QuerySyntaxError('is not a continue token issued by this collection');
  }
  if (decoded.q !== fingerprint) {
    throw new QuerySyntaxError(
      'was issued for another filter or orderBy; repeat the original query with it',
    );
  }
  if (decoded.a.length !== orderBy.length) {
    throw new QuerySyntaxError('is not a continue token issued by this collection');
  }
  return decoded.a;
}

function isContinuePayload(value: unknown): value is { q: string; a: ScalarValue[] } {
  if (typeof value !== 'object' || value === null) return false;
  const record = value as Record<string, unknown>;
  return (
    typeof record.q === 'string' &&
    Array.isArray(record.a) &&
    record.a.every((v) => v === null || ['string', 'number', 'boolean'].includes(typeof v))
  );
}

function fingerprintOf(spec: CollectionSpec, filter: Condition[], orderBy: OrderTerm[]): string {
  return createHash('sha256')
    .update(JSON.stringify([spec.name, filter, orderBy]))
    .digest('base64url')
    .slice(0, 16);
}

function filterableFields(spec: CollectionSpec): string[] {
  return Object.entries(spec.fields)
    .filter(([, field]) => field.filterable !== false)
    .map(([name]) => name);
}

function sortableFields(spec: CollectionSpec): string[] {
  return Object.entries(spec.fields)
    .filter(([, field]) => field.sortable !== false)
    .map(([name]) => name);
}
