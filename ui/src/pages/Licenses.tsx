import { useState, type SyntheticEvent } from 'react';
import { ApiError, get, getAll, quote, type Page } from '../api';
import { PagedTable } from '../Collection';
import { Badge, Loading, ProblemView, type Column } from '../components';
import { date, quantity } from '../format';
import { useApi } from '../hooks';
import { Link, setSearch, useLocation } from '../router';
import { useSession } from '../session';
import type { License, Product } from '../types';

const PAGE_SIZE = 25;

/**
 * The search box takes a serial number or a resource id, which become one more condition of the
 * filter, or a key in any accepted spelling, which `GET /v1/licenses/lookup` normalizes (the query
 * language has no `or`, so the kind is read from the text).
 */
export function searchClause(text: string): { clause: string } | { key: string } | undefined {
  const value = text.trim();
  if (value === '') return undefined;
  if (/^\d{1,15}$/.test(value)) return { clause: `serialNumber eq ${value}` };
  if (/^license-\d{1,15}-[0-9a-f-]{36}$/.test(value)) return { clause: `id eq ${quote(value)}` };
  return { key: value };
}

export function combine(...clauses: (string | undefined | null)[]): string | undefined {
  const parts = clauses.map((c) => c?.trim() ?? '').filter((c) => c !== '');
  return parts.length === 0 ? undefined : parts.join(' and ');
}

function columns(products: Map<number, string>): Column<License>[] {
  return [
    {
      key: 'serial',
      label: 'Serial',
      sort: 'serialNumber',
      render: (l) => <Link to={`/licenses/${encodeURIComponent(l.id)}`}>{l.serialNumber}</Link>,
    },
    { key: 'account', label: 'Account', sort: 'accountId', render: (l) => l.accountId },
    {
      key: 'product',
      label: 'Product',
      sort: 'productId',
      render: (l) =>
        l.productId === null ? '—' : (products.get(l.productId) ?? String(l.productId)),
    },
    { key: 'kind', label: 'Kind', sort: 'kind', render: (l) => l.kind },
    { key: 'term', label: 'Term', sort: 'term', render: (l) => l.term },
    {
      key: 'quantity',
      label: 'Quantity',
      sort: 'quantity',
      className: 'num',
      render: (l) => quantity(l.quantity),
    },
    {
      key: 'status',
      label: 'Status',
      sort: 'state',
      render: (l) => (
        <>
          <Badge value={l.validity.status} />
          {l.validity.inGrace && <Badge value="in grace" />}
          {l.validity.aboutToExpire && <Badge value="WARNING" title="About to expire" />}
        </>
      ),
    },
    { key: 'expires', label: 'Expires', sort: 'expiresAt', render: (l) => date(l.expiresAt) },
    { key: 'created', label: 'Created', sort: 'createdAt', render: (l) => date(l.createdAt) },
  ];
}

/** Licenses: server-side filter (the query language), sort and `continue` paging, all in the URL. */
export function LicensesPage() {
  const { search } = useLocation();
  const session = useSession();
  const filter = search.get('filter') ?? '';
  const orderBy = search.get('orderBy') ?? '';
  const token = search.get('continue') ?? '';
  const q = search.get('q') ?? '';
  const account = search.get('account') ?? '';
  const [draftFilter, setDraftFilter] = useState(filter);
  const [draftQ, setDraftQ] = useState(q);
  const [shownFor, setShownFor] = useState(`${filter}|${q}`);
  if (shownFor !== `${filter}|${q}`) {
    // The URL changed (back button, a shared link): the inputs follow it.
    setShownFor(`${filter}|${q}`);
    setDraftFilter(filter);
    setDraftQ(q);
  }

  const catalog = useApi(
    async () =>
      new Map(
        (await getAll<Product>('/v1/products', { include: 'id,name' })).map((p) => [p.id, p.name]),
      ),
    'product-names',
  );
  const searched = searchClause(q);
  const effective = combine(
    account === '' ? undefined : `accountId eq ${quote(account)}`,
    searched !== undefined && 'clause' in searched ? searched.clause : undefined,
    filter,
  );
  const byKey = searched !== undefined && 'key' in searched ? searched.key : undefined;
  const key = JSON.stringify([effective, orderBy, token, byKey]);
  const page = useApi(async (signal): Promise<Page<License>> => {
    if (byKey !== undefined) {
      try {
        const found = await get<License>('/v1/licenses/lookup', { key: byKey }, signal);
        return { items: [found], metadata: { count: 1 } };
      } catch (error) {
        if (error instanceof ApiError && error.status === 404) {
          return { items: [], metadata: { count: 0 } };
        }
        throw error;
      }
    }
    return get<Page<License>>(
      '/v1/licenses',
      { filter: effective, orderBy, limit: PAGE_SIZE, count: true, continue: token },
      signal,
    );
  }, key);

  const apply = (event: SyntheticEvent) => {
    event.preventDefault();
    setSearch({ filter: draftFilter.trim(), q: draftQ.trim(), continue: undefined });
  };

  return (
    <section>
      <div className="page-head">
        <h1>Licenses</h1>
        {session.isOperator && (
          <div className="actions">
            <Link to="/licenses/new" className="button primary">
              Issue a license
            </Link>
          </div>
        )}
        {session.canManage && (
          <div className="actions">
            <Link to="/licenses/import" className="button">
              Import keys
            </Link>
          </div>
        )}
      </div>
      <form className="filters" onSubmit={apply} role="search">
        <label>
          Search
          <input
            name="q"
            value={draftQ}
            placeholder="Key, serial number or resource id"
            onChange={(event) => {
              setDraftQ(event.target.value);
            }}
          />
        </label>
        <label className="grow">
          Filter
          <input
            name="filter"
            value={draftFilter}
            placeholder="state eq 'active' and expiresAt lt '2027-01-01'"
            spellCheck={false}
            onChange={(event) => {
              setDraftFilter(event.target.value);
            }}
          />
        </label>
        <button type="submit" className="primary">
          Apply
        </button>
        {(filter !== '' || q !== '' || account !== '') && (
          <button
            type="button"
            onClick={() => {
              setSearch({
                filter: undefined,
                q: undefined,
                account: undefined,
                continue: undefined,
              });
            }}
          >
            Clear
          </button>
        )}
      </form>
      {byKey !== undefined && (
        <p className="muted">Looking up the key: the filter does not apply to a key search.</p>
      )}
      {account !== '' && (
        <p className="muted">
          Account <code>{account}</code> only.
        </p>
      )}
      <p className="hint">
        Fields: accountId, kind, term, state, serialNumber, productId, quantity, service, group,
        orderId, sku, key, createdAt, startsAt, expiresAt — operators eq, ne, lt, gt, lte, gte,
        joined by <code>and</code>.
      </p>
      <ProblemView error={page.error} />
      {page.loading && <Loading />}
      {page.data !== undefined && !page.loading && page.error === undefined && (
        <PagedTable
          page={page.data}
          caption="Licenses"
          columns={columns(catalog.data ?? new Map<number, string>())}
          rowKey={(l) => l.id}
          rowLink={(l) => `/licenses/${encodeURIComponent(l.id)}`}
          orderBy={orderBy}
          atFirst={token === ''}
          empty="No license matches."
        />
      )}
    </section>
  );
}
