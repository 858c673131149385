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
