import { get, type Page } from '../api';
import {
  Badge,
  DataTable,
  Definitions,
  Empty,
  Loading,
  ProblemView,
  type Column,
} from '../components';
import { Collection } from '../Collection';
import { dateTime, money, quantity } from '../format';
import { useApi } from '../hooks';
import { Link, href } from '../router';
import type { Account, AccountCompliance, Charge } from '../types';

const COLUMNS: Column<Account>[] = [
  {
    key: 'id',
    label: 'Id',
    sort: 'id',
    render: (a) => <Link to={`/accounts/${encodeURIComponent(a.id)}`}>{a.id}</Link>,
  },
  { key: 'name', label: 'Name', sort: 'name', render: (a) => a.name },
  { key: 'org', label: 'Organization', sort: 'orgId', render: (a) => a.orgId ?? '—' },
  { key: 'created', label: 'Created', sort: 'createdAt', render: (a) => dateTime(a.createdAt) },
];

export function AccountsPage() {
  return (
    <section>
      <h1>Accounts</h1>
      <Collection<Account>
        path="/v1/accounts"
        columns={COLUMNS}
        rowKey={(a) => a.id}
        rowLink={(a) => `/accounts/${encodeURIComponent(a.id)}`}
        caption="Accounts"
        placeholder="name eq 'Acme Corp'"
        fields="id, name, orgId, createdAt, updatedAt"
        empty="No accounts."
      />
    </section>
  );
}

const CHARGE_COLUMNS: Column<Charge>[] = [
  { key: 'created', label: 'Recorded', render: (c) => dateTime(c.createdAt) },
  {
    key: 'subscription',
    label: 'Subscription',
    render: (c) => (
      <Link to={`/subscriptions/${c.subscriptionId}`}>{c.subscriptionId.slice(0, 8)}</Link>
    ),
  },
  {
    key: 'amount',
    label: 'Amount',
    className: 'num',
    render: (c) => money(c.amountMicros, c.currency),
  },
  { key: 'status', label: 'Status', render: (c) => <Badge value={c.status} /> },
];

/** An account: its settings, its compliance product by product, links to its wallet, its charges. */
export function AccountDetailPage({ id }: { id: string }) {
  const path = `/v1/accounts/${encodeURIComponent(id)}`;
  const account = useApi((signal) => get<Account>(path, undefined, signal), path);
  const compliance = useApi(
    (signal) => get<AccountCompliance>(`${path}/compliance`, undefined, signal),
    `${path}/compliance`,
  );
  const charges = useApi(
    (signal) =>
      get<Page<Charge>>(`${path}/charges`, { limit: 20, orderBy: 'createdAt desc' }, signal),
    `${path}/charges`,
  );
  if (account.loading && account.data === undefined) return <Loading />;
  if (account.data === undefined) return <ProblemView error={account.error} />;
  const a = account.data;
  return (
    <section>
      <div className="page-head">
        <h1>
          {a.name}{' '}
          {compliance.data !== undefined && (
            <Badge value={compliance.data.overallComplianceStatus} />
          )}
        </h1>
        <div className="actions">
          <Link to={href('/licenses', { account: a.id })} className="button">
            Licenses
          </Link>
          <Link to={href('/subscriptions', { account: a.id })} className="button">
            Subscriptions
          </Link>
          <Link to={href('/instances', { account: a.id })} className="button">
            Instances
          </Link>
          <Link to={href('/groups', { account: a.id })} className="button">
            Groups & orders
          </Link>
        </div>
      </div>
      <article className="card">
        <Definitions
          items={[
            ['Id', <code key="id">{a.id}</code>],
            ['Organization', a.orgId ?? '—'],
            ['Auto-download', a.settings.autoDownload ? 'on' : 'off'],
            ['Upstream', a.settings.upstreamUrl ?? '—'],
            ['Reminder days', a.settings.reminderDays ?? 30],
            ['Created', dateTime(a.createdAt)],
            ['Updated', dateTime(a.updatedAt)],
          ]}
        />
      </article>
      <h2>Compliance</h2>
      <ProblemView error={compliance.error} />
      {compliance.loading && compliance.data === undefined && <Loading />}
      {compliance.data?.products.length === 0 && <Empty>No entitlements or usage.</Empty>}
      {compliance.data?.products.map((product) => (
        <article className="card" key={product.productId}>
          <h3>
            {product.name} <Badge value={product.compliant ? 'VALID' : 'NON_COMPLIANT'} />
          </h3>
          <p className="muted">{product.complianceStateDescriptionDetails}</p>
          <table className="compact">
            <caption className="sr-only">{product.name} metrics</caption>
            <thead>
              <tr>
                <th scope="col">Metric</th>
                <th scope="col" className="num">
                  Entitled
                </th>
                <th scope="col" className="num">
                  Used
                </th>
                <th scope="col" className="num">
                  Available
                </th>
                <th scope="col" className="num">
                  Level
                </th>
              </tr>
            </thead>
            <tbody>
              {product.metrics.map((m) => (
                <tr key={m.metricId}>
                  <td>
                    {m.name} ({m.unit})
                  </td>
                  <td className="num">{quantity(m.entitled)}</td>
                  <td className="num">{quantity(m.used)}</td>
                  <td className="num">{quantity(m.available)}</td>
                  <td className="num">{(m.level * 100).toFixed(0)}%</td>
                </tr>
              ))}
            </tbody>
          </table>
        </article>
      ))}
      {compliance.data !== undefined && compliance.data.unlicensedUsage.features.length > 0 && (
        <p className="notice">
          Unlicensed feature usage:{' '}
          {compliance.data.unlicensedUsage.features.map((f) => f.name).join(', ')}
        </p>
      )}
      <h2>Charges</h2>
      <ProblemView error={charges.error} />
      {charges.data?.items.length === 0 && <Empty>No charges.</Empty>}
      {charges.data !== undefined && charges.data.items.length > 0 && (
        <DataTable
          caption="Charges"
          columns={CHARGE_COLUMNS}
          rows={charges.data.items}
          rowKey={(c) => c.id}
        />
      )}
    </section>
  );
}
