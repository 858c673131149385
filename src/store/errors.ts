import { PG_FOREIGN_KEY_VIOLATION, PG_UNIQUE_VIOLATION } from './dialect.js';

/** Dialect-specific recognition of constraint failures, so repositories can name them. */
interface DriverError {
  code?: unknown;
  message?: unknown;
  /** PostgreSQL: `Key (slug)=(cvo) already exists.` */
  detail?: unknown;
}

export function isUniqueViolation(error: unknown): boolean {
  const code = (error as DriverError | null)?.code;
  return (
    code === 'SQLITE_CONSTRAINT_UNIQUE' ||
    code === 'SQLITE_CONSTRAINT_PRIMARYKEY' ||
    code === PG_UNIQUE_VIOLATION
  );
}

export function isForeignKeyViolation(error: unknown): boolean {
  const code = (error as DriverError | null)?.code;
  return code === 'SQLITE_CONSTRAINT_FOREIGNKEY' || code === PG_FOREIGN_KEY_VIOLATION;
}

/**
 * Whether a unique violation is on `table.column`: SQLite names it in the message
 * (`UNIQUE constraint failed: products.slug`), PostgreSQL in the detail (`Key (slug)=…`).
 */
export function violatesUniqueOn(error: unknown, table: string, column: string): boolean {
  const driverError = error as DriverError | null;
  const message = typeof driverError?.message === 'string' ? driverError.message : '';
  const detail = typeof driverError?.detail === 'string' ? driverError.detail : '';
  return message.includes(`${table}.${column}`) || detail.startsWith(`Key (${column})=`);
}

/**
 * Failures that say the database cannot serve now, not that the request is wrong: a connection
 * refused or lost (node's socket errors, node-postgres's own messages, SQLSTATE class 08), the
 * server shutting down or not yet accepting (57P01–57P03), out of connections or resources
 * (class 53); SQLite locked past its busy timeout, or its disk full.
 */
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EPIPE',
  '57P01',
  '57P02',
  '57P03',
  'SQLITE_BUSY',
  'SQLITE_BUSY_RECOVERY',
  'SQLITE_BUSY_SNAPSHOT',
  'SQLITE_BUSY_TIMEOUT',
  'SQLITE_FULL',
]);
const UNAVAILABLE_SQLSTATE_CLASSES = ['08', '53'];
const LOST_CONNECTION_MESSAGES = [
  'Connection terminated',
  'not queryable',
  'timeout exceeded when trying to connect',
  'Client was closed and is not queryable',
];

export function isUnavailable(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, message } = error as DriverError;
  if (typeof code === 'string') {
    if (UNAVAILABLE_CODES.has(code)) return true;
    if (/^[0-9A-Z]{5}$/.test(code) && UNAVAILABLE_SQLSTATE_CLASSES.includes(code.slice(0, 2))) {
      return true;
    }
  }
  if (error instanceof AggregateError) return error.errors.some(isUnavailable);
  return typeof message === 'string' && LOST_CONNECTION_MESSAGES.some((m) => message.includes(m));
}
