import type { FastifySchemaValidationError } from 'fastify';
import type { FieldIssue } from '../../../domain/errors.js';
import { UsageBatchSchema, UsageIngestResultSchema } from '../../../domain/usage.js';
import { contextOf } from '../../plugins/auth.js';
import { bodyProblems } from '../../schemas.js';
import type { App, RouteDeps } from '../../types.js';
import { issuesFromValidation } from '../../validation.js';

/** 10,000 records of ~200 bytes each: more than the server's default body limit. */
export const USAGE_BODY_LIMIT_BYTES = 16 * 1024 * 1024;

/** Usage reports: one batch, one transaction, a verdict per record. */
export function ingestUsage(app: App, { services, clock }: RouteDeps): void {
  app.post(
    '/v1/usage',
    {
      bodyLimit: USAGE_BODY_LIMIT_BYTES,
      // A malformed record is rejected on its own, like any other bad record; only a malformed
      // envelope fails the request.
      attachValidation: true,
      schema: {
        tags: ['usage'],
        summary: 'Report usage records',
        description:
          'Service, instance and operator tokens. 1 to 10,000 records, stored in one transaction and committed before the answer. ' +
          'A bad record (malformed; unknown product, metric or feature; instance or account not visible; `at` in the future or past retention) is listed in `rejected` with its reasons while the others are stored. ' +
          'The record `id` is unique per account: a record sent again is counted in `duplicates`, never twice. A malformed envelope (no `records`, 0 or more than 10,000 of them, unknown fields) is a 400.',
        body: UsageBatchSchema,
        response: { 200: UsageIngestResultSchema, ...bodyProblems('forbidden') },
      },
    },
    (request) => {
      const error = request.validationError;
      const malformed =
        error === undefined
          ? new Map<number, FieldIssue[]>()
          : recordIssues(error.validation as FastifySchemaValidationError[]);
      if (error !== undefined && malformed === null) throw error;
      return services.usage.ingest(contextOf(request, clock), request.body, malformed ?? undefined);
    },
  );
}

/**
 * The schema errors of a batch, by record index, named within the record (`value`, `kind`); null
 * when any error lies outside the records (the envelope itself is malformed).
 */
export function recordIssues(
  errors: readonly FastifySchemaValidationError[],
): Map<number, FieldIssue[]> | null {
  const byIndex = new Map<number, FastifySchemaValidationError[]>();
  for (const error of errors) {
    const match = /^\/records\/(\d+)(?:\/|$)/.exec(error.instancePath);
    if (match?.[1] === undefined) return null;
    const index = Number(match[1]);
    byIndex.set(index, [...(byIndex.get(index) ?? []), error]);
  }
  const issues = new Map<number, FieldIssue[]>();
  for (const [index, list] of byIndex) {
    const prefix = `records.${String(index)}`;
    issues.set(
      index,
      issuesFromValidation(list, 'record').map((issue) => ({
        ...issue,
        name: issue.name === prefix ? 'record' : issue.name.slice(prefix.length + 1),
      })),
    );
  }
  return issues;
}
