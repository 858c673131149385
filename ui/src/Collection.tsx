import { useState, type SyntheticEvent, type ReactNode } from 'react';
import { get, type Page, type Query } from './api';
import { DataTable, Empty, Loading, Pager, ProblemView, type Column } from './components';
import { useApi } from './hooks';
import { setSearch, useLocation } from './router';

/**
 * A collection of the native API as a table: `filter`, `orderBy` and the `continue` token come
 * from the URL (so the view is a shareable link) and go to the server unchanged.
 */
export function Collection<T>({
  path,
  columns,
  rowKey,
  rowLink,
  caption,
  placeholder,
  fields,
  extraFilter,
  empty,
  pageSize = 25,
  version = 0,
}: {
  path: string;
  columns: Column<T>[];
  rowKey: (row: T) => string;
  rowLink?: (row: T) => string;
  caption: string;
  placeholder: string;
  fields: string;
  /** A condition always added (e.g. the selected account), joined with `and`. */
  extraFilter?: string | undefined;
  empty: ReactNode;
  pageSize?: number;
  /** Bumped by the page after a write, to read the collection again. */
  version?: number;
}) {
  const { search } = useLocation();
  const filter = search.get('filter') ?? '';
  const orderBy = search.get('orderBy') ?? '';
  const token = search.get('continue') ?? '';
  const [draft, setDraft] = useState(filter);
  const [shownFor, setShownFor] = useState(filter);
  if (shownFor !== filter) {
    setShownFor(filter);
    setDraft(filter);
  }
  const effective =
    [extraFilter ?? '', filter].filter((part) => part.trim() !== '').join(' and ') || undefined;
  const query: Query = {
    filter: effective,
    orderBy,
    limit: pageSize,
    count: true,
    continue: token,
  };
  const page = useApi(
    (signal) => get<Page<T>>(path, query, signal),
    JSON.stringify([path, query, version]),
  );

  const apply = (event: SyntheticEvent) => {
    event.preventDefault();
    setSearch({ filter: draft.trim(), continue: undefined });
  };

  return (
    <>
      <form className="filters" onSubmit={apply} role="search">
        <label className="grow">
          Filter
          <input
            name="filter"
            value={draft}
            placeholder={placeholder}
            spellCheck={false}
            onChange={(event) => {
              setDraft(event.target.value);
            }}
          />
        </label>
        <button type="submit" className="primary">
          Apply
        </button>
        {filter !== '' && (
          <button
            type="button"
            onClick={() => {
              setSearch({ filter: undefined, continue: undefined });
            }}
          >
            Clear
          </button>
        )}
      </form>
      <p className="hint">Fields: {fields}.</p>
      <ProblemView error={page.error} />
      {page.loading && <Loading />}
      {page.data !== undefined && !page.loading && page.error === undefined && (
        <PagedTable
          page={page.data}
          caption={caption}
          columns={columns}
          rowKey={rowKey}
          {...(rowLink === undefined ? {} : { rowLink })}
          orderBy={orderBy}
          atFirst={token === ''}
          empty={empty}
        />
      )}
    </>
  );
}

/**
 * One page of a collection as a sortable table with its pager (or the empty state): sorting and
 * paging write `orderBy` and `continue` to the URL.
 */
export function PagedTable<T>({
  page,
  caption,
  columns,
  rowKey,
  rowLink,
  orderBy,
  atFirst,
  empty,
}: {
  page: Page<T>;
  caption: string;
  columns: Column<T>[];
  rowKey: (row: T) => string;
  rowLink?: (row: T) => string;
  orderBy: string;
  atFirst: boolean;
  empty: ReactNode;
}) {
  return (
    <>
      {page.items.length === 0 ? (
        <Empty>{empty}</Empty>
      ) : (
        <DataTable
          caption={caption}
          columns={columns}
          rows={page.items}
          rowKey={rowKey}
          {...(rowLink === undefined ? {} : { rowLink })}
          orderBy={orderBy}
          onSort={(next) => {
            setSearch({ orderBy: next, continue: undefined });
          }}
        />
      )}
      <Pager
        next={page.metadata.continue}
        count={page.metadata.count}
        shown={page.items.length}
        atFirst={atFirst}
        onFirst={() => {
          setSearch({ continue: undefined });
        }}
        onNext={(next) => {
          setSearch({ continue: next });
        }}
      />
    </>
  );
}
