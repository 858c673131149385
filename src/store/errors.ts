/** Dialect-specific recognition of constraint failures, so repositories can name them. */
interface DriverError {
  code?: unknown;
}

export function isUniqueViolation(error: unknown): boolean {
  const code = (error as DriverError | null)?.code;
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

export function isForeignKeyViolation(error: unknown): boolean {
  return (error as DriverError | null)?.code === 'SQLITE_CONSTRAINT_FOREIGNKEY';
}
