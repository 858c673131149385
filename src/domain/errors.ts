/**
 * Typed failures of the domain and services. Every surface (native API, each facade) maps these
 * names onto its own error format in one table; nothing else decides a status code.
 */
export interface FieldIssue {
  /** The offending field (dotted path) or query parameter. */
  name: string;
  reason: string;
}

export type DomainErrorCode =
  | 'NOT_FOUND'
  | 'FORBIDDEN'
  | 'UNAUTHENTICATED'
  | 'INVALID_FIELDS'
  | 'INVALID_PARAMS'
  | 'CONFLICT'
  | 'IN_USE'
  | 'SEAT_LIMIT'
  | 'NOT_USABLE'
  | 'RATE_LIMITED'
  | 'UNAVAILABLE';

export class DomainError extends Error {
  readonly code: DomainErrorCode;
  readonly issues: FieldIssue[];

  constructor(code: DomainErrorCode, message: string, issues: FieldIssue[] = []) {
    super(message);
    this.name = 'DomainError';
    this.code = code;
    this.issues = issues;
  }
}

export class NotFound extends DomainError {
  constructor(resource: string, id: string) {
    super('NOT_FOUND', `${resource} '${id}' was not found.`);
  }
}

export class Forbidden extends DomainError {
  constructor(message = "The requested operation isn't permitted for this token.") {
    super('FORBIDDEN', message);
  }
}

export class Unauthenticated extends DomainError {
  /** True when no credentials came at all (as opposed to credentials that are wrong). */
  readonly missing: boolean;

  constructor(message: string, options: { missing?: boolean } = {}) {
    super('UNAUTHENTICATED', message);
    this.missing = options.missing ?? false;
  }
}

/** A request body field breaks a rule that a schema cannot express. */
export class InvalidFields extends DomainError {
  constructor(issues: FieldIssue[], message = 'The request body has invalid fields.') {
    super('INVALID_FIELDS', message, issues);
  }
}

/** A query or path parameter is malformed or names something that does not exist. */
export class InvalidParams extends DomainError {
  constructor(issues: FieldIssue[], message = 'The supplied query parameters are invalid.') {
    super('INVALID_PARAMS', message, issues);
  }
}

/** The resource already exists or a unique value is taken. */
export class Conflict extends DomainError {
  constructor(message: string, issues: FieldIssue[] = []) {
    super('CONFLICT', message, issues);
  }
}

/** The resource cannot be removed while other resources still reference it. */
export class InUse extends DomainError {
  constructor(resource: string, id: string, by: string) {
    super('IN_USE', `${resource} '${id}' is still referenced by ${by} and cannot be deleted.`);
  }
}

/** Every seat of a license is taken: a new instance cannot activate it. */
export class SeatLimitReached extends DomainError {
  constructor(licenseId: string, seats: number) {
    super('SEAT_LIMIT', `All ${String(seats)} seats of license '${licenseId}' are in use.`);
  }
}

/** The license cannot be activated now: revoked, suspended, unrecognized, not started or expired. */
export class LicenseNotUsable extends DomainError {
  constructor(licenseId: string, why: string) {
    super('NOT_USABLE', `License '${licenseId}' cannot be activated: ${why}`);
  }
}

/** A per-license limit (activations, deactivations, validations per window) is used up. */
export class RateLimited extends DomainError {
  readonly retryAfterSeconds: number;

  constructor(what: string, limit: number, window: string, retryAfterSeconds: number) {
    super(
      'RATE_LIMITED',
      `Too many ${what}: at most ${String(limit)} per ${window}; retry in ${String(retryAfterSeconds)} s.`,
    );
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/**
 * The database cannot serve the use case right now (connection lost or refused, locked past the
 * busy timeout, disk full): nothing was written, and the same request may succeed later.
 */
export class Unavailable extends DomainError {
  readonly retryAfterSeconds: number;

  constructor(message: string, retryAfterSeconds: number, options: { cause?: unknown } = {}) {
    super('UNAVAILABLE', message);
    this.retryAfterSeconds = retryAfterSeconds;
    if (options.cause !== undefined) this.cause = options.cause;
  }
}
