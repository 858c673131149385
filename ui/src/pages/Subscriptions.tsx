import { useState, type SyntheticEvent } from 'react';
import { get, quote, type Page } from '../api';
import { PagedTable } from '../Collection';
import { Badge, Loading, ProblemView, type Column } from '../components';
import { date, quantity } from '../format';
import { useApi } from '../hooks';
import { Link, setSearch, useLocation } from '../router';
import { useSession } from '../session';
import type { Subscription } from '../types';
import { combine } from './Licenses';

const PAGE_SIZE = 25;

const COLUMNS: Column<Subscription>[] = [
  {
    key: 'number',
    label: 'Number',
    sort: 'subscriptionNumber',
    className: 'num',
    render: (s) => <Link to={`/subscriptions/${s.id}`}>{s.subscriptionNumber}</Link>,
  },
  { key: 'accounts', label: 'Accounts', render: (s) => s.accounts.join(', ') },
  { key: 'terms', label: 'Terms', sort: 'terms', render: (s) => <Badge value={s.terms} /> },
  { key: 'status', label: 'Status', sort: 'status', render: (s) => <Badge value={s.status} /> },
  { key: 'product', label: 'Product', sort: 'productId', render: (s) => s.productId ?? '—' },
  {
    key: 'capacity',
    label: 'Capacity',
    render: (s) => quantity(s.entitledCapacity, s.capacityUnit),
  },
  { key: 'apps', label: 'App limit', sort: 'appLimit', render: (s) => quantity(s.appLimit) },
  { key: 'expires', label: 'Expires', sort: 'expiresAt', render: (s) => date(s.expiresAt) },
  {
    key: 'created',
    label: 'Created',
    sort: 'createdAt',
    render: (s) => date(s.metadata.creationTimestamp),
  },
];

/** Subscriptions: filter, sort and page on the server, the state in the URL. */
export function SubscriptionsPage() {
  const { search } = useLocation();
  const session = useSession();
  const filter = search.get('filter') ?? '';
  const orderBy = search.get('orderBy') ?? '';
  const token = search.get('continue') ?? '';
  const account = search.get('account') ?? '';
  const [draft, setDraft] = useState(filter);
  const [shownFor, setShownFor] = useState(filter);
  if (shownFor !== filter) {
    setShownFor(filter);
    setDraft(filter);
  }
  const effective = combine(account === '' ? undefined : `accountId eq ${quote(account)}`, filter);
  const page = useApi(
    (signal) =>
      get<Page<Subscription>>(
        '/v1/subscriptions',
        { filter: effective, orderBy, limit: PAGE_SIZE, count: true, continue: token },
        signal,
      ),
    JSON.stringify([effective, orderBy, token]),
  );
  const apply = (event: SyntheticEvent) => {
    event.preventDefault();
    setSearch({ filter: draft.trim(), continue: undefined });
  };

  return (
    <section>
      <div className="page-head">
        <h1>Subscriptions</h1>
        {session.isOperator && (
          <div className="actions">
            <Link to="/subscriptions/new" className="button primary">
              New subscription
            </Link>
          </div>
        )}
      </div>
      <form className="filters" onSubmit={apply} role="search">
        <label className="grow">
          Filter
          <input
            name="filter"
            value={draft}
            placeholder="status eq 'active' and terms eq 'paid'"
            spellCheck={false}
            onChange={(event) => {
              setDraft(event.target.value);
            }}
          />
        </label>
        <button type="submit" className="primary">
          Apply
        </button>
      </form>
      {account !== '' && (
        <p className="muted">
          Account <code>{account}</code> only.{' '}
          <button
            type="button"
            className="link"
            onClick={() => {
              setSearch({ account: undefined, continue: undefined });
            }}
          >
            Show all
          </button>
        </p>
      )}
      <ProblemView error={page.error} />
      {page.loading && <Loading />}
      {page.data !== undefined && !page.loading && page.error === undefined && (
        <PagedTable
          page={page.data}
          caption="Subscriptions"
          columns={COLUMNS}
          rowKey={(s) => s.id}
          rowLink={(s) => `/subscriptions/${s.id}`}
          orderBy={orderBy}
          atFirst={token === ''}
          empty="No subscription matches."
        />
      )}
    </section>
  );
}
