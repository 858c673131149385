import { useRef, type KeyboardEvent, type ReactNode } from 'react';
import type { ApiError } from './api';
import { navigate } from './router';

/** A problem document as a person reads it: title, detail, each named field, the support id. */
export function ProblemView({ error, label }: { error: ApiError | undefined; label?: string }) {
  if (error === undefined) return null;
  const { problem } = error;
  const issues = [...(problem.invalidFields ?? []), ...(problem.invalidParams ?? [])];
  return (
    <div className="problem" role="alert" aria-label={label ?? 'Error'}>
      <strong>{problem.title}</strong>
      {problem.status > 0 && <span className="muted"> ({problem.status})</span>}
      <div>{problem.detail}</div>
      {issues.length > 0 && (
        <ul>
          {issues.map((issue) => (
            <li key={`${issue.name}:${issue.reason}`}>
              <code>{issue.name}</code>: {issue.reason}
            </li>
          ))}
        </ul>
      )}
      {problem.correlationID !== undefined && (
        <div className="muted small">Correlation id: {problem.correlationID}</div>
      )}
    </div>
  );
}

export function Loading({ what = 'Loading' }: { what?: string }) {
  return (
    <div className="loading" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" /> {what}…
    </div>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <div className="empty">{children}</div>;
}

const BADGE_TONES: Record<string, string> = {
  VALID: 'ok',
  WARNING: 'warn',
  NON_COMPLIANT: 'bad',
  active: 'ok',
  delivered: 'ok',
  success: 'ok',
  'already installed': 'ok',
  'Unrecognized License': 'bad',
  'License key format not supported': 'bad',
  'Seat limit reached': 'bad',
  'License not usable': 'bad',
  inactive: 'muted',
  pending: 'warn',
  suspended: 'warn',
  expired: 'bad',
  revoked: 'bad',
  invalid: 'bad',
  failed: 'bad',
  void: 'muted',
  trial: 'info',
  paid: 'info',
};

export function Badge({ value, title }: { value: string; title?: string }) {
  const tone = BADGE_TONES[value] ?? 'info';
  return (
    <span className={`badge badge-${tone}`} title={title}>
      {value.replace(/_/g, ' ')}
    </span>
  );
}

export interface Column<T> {
  key: string;
  label: string;
  /** The API field to order by, when the column sorts. */
  sort?: string;
  render: (row: T) => ReactNode;
  className?: string;
}

/**
 * A table whose rows are focusable: Tab reaches them, arrow keys move between them, Enter opens
 * the row. Sortable headers are buttons that say which way they sort.
 */
export function DataTable<T>({
  columns,
  rows,
  rowKey,
  rowLink,
  orderBy,
  onSort,
  caption,
}: {
  columns: Column<T>[];
  rows: T[];
  rowKey: (row: T) => string;
  rowLink?: (row: T) => string;
  orderBy?: string;
  onSort?: (orderBy: string) => void;
  caption: string;
}) {
  const body = useRef<HTMLTableSectionElement>(null);
  const [sortField, sortDir] = (orderBy ?? '').trim().split(/\s+/);
  const onKey = (event: KeyboardEvent<HTMLTableRowElement>, row: T) => {
    const target = event.currentTarget;
    if (event.key === 'Enter' && rowLink !== undefined) {
      event.preventDefault();
      navigate(rowLink(row));
    } else if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      event.preventDefault();
      const sibling =
        event.key === 'ArrowDown' ? target.nextElementSibling : target.previousElementSibling;
      if (sibling instanceof HTMLElement) sibling.focus();
    } else if (event.key === 'Home' || event.key === 'End') {
      const all = body.current?.querySelectorAll<HTMLElement>('tr') ?? [];
      const to = event.key === 'Home' ? all[0] : all[all.length - 1];
      if (to !== undefined) {
        event.preventDefault();
        to.focus();
      }
    }
  };
  return (
    <div className="table-wrap">
      <table>
        <caption className="sr-only">{caption}</caption>
        <thead>
          <tr>
            {columns.map((column) => {
              const sorted = column.sort !== undefined && column.sort === sortField;
              const descending = sorted && sortDir === 'desc';
              return (
                <th
                  key={column.key}
                  scope="col"
                  className={column.className}
                  aria-sort={sorted ? (descending ? 'descending' : 'ascending') : undefined}
                >
                  {column.sort !== undefined && onSort !== undefined ? (
                    <button
                      type="button"
                      className="sort"
                      onClick={() => {
                        const field = column.sort ?? column.key;
                        onSort(sorted && !descending ? `${field} desc` : field);
                      }}
                    >
                      {column.label}
                      <span aria-hidden="true">{sorted ? (descending ? ' ▼' : ' ▲') : ' ↕'}</span>
                    </button>
                  ) : (
                    column.label
                  )}
                </th>
              );
            })}
          </tr>
        </thead>
        <tbody ref={body}>
          {rows.map((row) => (
            <tr
              key={rowKey(row)}
              tabIndex={rowLink === undefined ? undefined : 0}
              className={rowLink === undefined ? undefined : 'clickable'}
              onClick={
                rowLink === undefined
                  ? undefined
                  : (event) => {
                      // Links and buttons inside the row act on their own.
                      if ((event.target as HTMLElement).closest('a,button') !== null) return;
                      navigate(rowLink(row));
                    }
              }
              onKeyDown={(event) => {
                onKey(event, row);
              }}
            >
              {columns.map((column) => (
                <td key={column.key} className={column.className}>
                  {column.render(row)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** Keyset paging: the page token is in the URL; back goes to the previous page. */
export function Pager({
  next,
  onNext,
  onFirst,
  atFirst,
  count,
  shown,
}: {
  next: string | undefined;
  onNext: (token: string) => void;
  onFirst: () => void;
  atFirst: boolean;
  count?: number | undefined;
  shown: number;
}) {
  return (
    <nav className="pager" aria-label="Pages">
      <span className="muted" aria-live="polite">
        {shown} shown{count === undefined ? '' : ` of ${String(count)}`}
      </span>
      <button type="button" onClick={onFirst} disabled={atFirst}>
        « First page
      </button>
      <button
        type="button"
        onClick={() => {
          if (next !== undefined) onNext(next);
        }}
        disabled={next === undefined}
      >
        Next page »
      </button>
    </nav>
  );
}

/** A labelled form field with the API's reason for it, if it refused it. */
export function Field({
  label,
  name,
  reason,
  hint,
  children,
}: {
  label: string;
  name: string;
  reason?: string | undefined;
  hint?: string;
  children: ReactNode;
}) {
  return (
    <div className={reason === undefined ? 'field' : 'field field-invalid'} data-field={name}>
      <label htmlFor={`f-${name}`}>{label}</label>
      {children}
      {hint !== undefined && <div className="hint">{hint}</div>}
      {reason !== undefined && (
        <div className="field-error" id={`f-${name}-error`} role="alert">
          {reason}
        </div>
      )}
    </div>
  );
}

export function Definitions({ items }: { items: [string, ReactNode][] }) {
  return (
    <dl className="definitions">
      {items.map(([term, value]) => (
        <div key={term}>
          <dt>{term}</dt>
          <dd>{value}</dd>
        </div>
      ))}
    </dl>
  );
}
