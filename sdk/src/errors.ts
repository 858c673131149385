/** One bad field or parameter of a request, as the server names it. */
export interface InvalidField {
  name: string;
  reason: string;
}

/** An RFC 9457 problem document, as every Entitle error answers. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  correlationID?: string;
  invalidFields?: InvalidField[];
  invalidParams?: InvalidField[];
  [extension: string]: unknown;
}

/**
 * A request that failed: the server's problem document, or (status 0) no answer at all.
 *
 * @example
 * try { await entitle.accounts.get('ghost'); }
 * catch (error) { if (error instanceof EntitleError && error.status === 404) ... }
 */
export class EntitleError extends Error {
  readonly status: number;
  readonly problem: Problem;

  constructor(problem: Problem, options?: { cause?: unknown }) {
    super(problem.detail === '' ? problem.title : `${problem.title}: ${problem.detail}`, options);
    this.name = 'EntitleError';
    this.status = problem.status;
    this.problem = problem;
  }

  get title(): string {
    return this.problem.title;
  }

  get detail(): string {
    return this.problem.detail;
  }

  /** Every invalid body field and query or path parameter, with the reason. */
  get invalid(): InvalidField[] {
    return [...(this.problem.invalidFields ?? []), ...(this.problem.invalidParams ?? [])];
  }

  /** The names of the invalid fields and parameters. */
  get invalidFields(): string[] {
    return this.invalid.map((field) => field.name);
  }

  /** Seconds the server asked to wait (`Retry-After` of a 429 rate-limited or 503 answer). */
  get retryAfterSeconds(): number | undefined {
    const value = this.problem.retryAfterSeconds;
    return typeof value === 'number' ? value : undefined;
  }

  /** True when no HTTP answer came back (connection refused, reset, timeout). */
  get isNetworkError(): boolean {
    return this.status === 0;
  }
}

/** The problem document of a request that got no answer. */
export function networkProblem(error: unknown): Problem {
  const message = error instanceof Error ? error.message : String(error);
  const cause =
    error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : '';
  return { type: 'about:blank', title: 'Network error', status: 0, detail: `${message}${cause}` };
}
