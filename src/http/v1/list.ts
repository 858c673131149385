import type { Page } from '../../store/list.js';

export interface ListBody<T> {
  items: Partial<T>[];
  metadata: { continue?: string; count?: number };
}

/** Shapes a page for the wire, keeping only the `include`d fields. */
export function listBody<T extends object>(
  page: Page<T>,
  include: string | undefined,
): ListBody<T> {
  const fields =
    include === undefined || include.trim() === '' ? null : include.split(',').map((f) => f.trim());
  const items =
    fields === null
      ? page.rows
      : page.rows.map((row) => {
          const record = row as Record<string, unknown>;
          return Object.fromEntries(fields.map((field) => [field, record[field]])) as Partial<T>;
        });
  const metadata: ListBody<T>['metadata'] = {};
  if (page.continueToken !== undefined) metadata.continue = page.continueToken;
  if (page.count !== undefined) metadata.count = page.count;
  return { items, metadata };
}
