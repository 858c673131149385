import type { FastifySchemaValidationError } from 'fastify';
import type { FieldIssue } from '../domain/errors.js';

/**
 * Turns the JSON-schema validator's errors into one issue per offending field or parameter,
 * named by dotted path (`settings.upstreamUrl`, `features.2.id`).
 */
export function issuesFromValidation(
  errors: readonly FastifySchemaValidationError[],
  context: string,
): FieldIssue[] {
  const reasons = new Map<string, string[]>();
  for (const error of errors) {
    // An anyOf failure repeats the reasons of its branches, which are reported on their own.
    if (error.keyword === 'anyOf') continue;
    const name = nameOf(error, context);
    const list = reasons.get(name) ?? [];
    const reason = reasonOf(error);
    if (!list.includes(reason)) list.push(reason);
    reasons.set(name, list);
  }
  return [...reasons].map(([name, list]) => ({ name, reason: list.join(' or ') }));
}

function nameOf(error: FastifySchemaValidationError, context: string): string {
  const path = error.instancePath
    .split('/')
    .filter((part) => part !== '')
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'));
  const params = error.params;
  if (error.keyword === 'required' && typeof params.missingProperty === 'string') {
    path.push(params.missingProperty);
  }
  if (error.keyword === 'additionalProperties' && typeof params.additionalProperty === 'string') {
    path.push(params.additionalProperty);
  }
  return path.length > 0 ? path.join('.') : context;
}

function reasonOf(error: FastifySchemaValidationError): string {
  switch (error.keyword) {
    case 'required':
      return 'is required';
    case 'additionalProperties':
      return 'is not a known field';
    case 'minProperties':
      return 'must contain at least one field';
    case 'enum': {
      const allowed = (error.params as { allowedValues?: unknown[] }).allowedValues;
      return allowed
        ? `must be one of ${allowed.map((v) => JSON.stringify(v)).join(', ')}`
        : 'is not an allowed value';
    }
    default:
      return error.message ?? 'is invalid';
  }
}
