import { get, quote } from '../api';
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
import { date, dateTime, quantity } from '../format';
import { useApi } from '../hooks';
import { Link, useLocation } from '../router';
import type { Instance, License } from '../types';

const COLUMNS: Column<Instance>[] = [
  {
    key: 'name',
    label: 'Name',
    sort: 'name',
    render: (i) => (
      <Link to={`/instances/${i.id}`}>{i.name === '' ? i.id.slice(0, 8) : i.name}</Link>
    ),
  },
  { key: 'account', label: 'Account', sort: 'accountId', render: (i) => i.accountId },
  {
    key: 'install',
    label: 'Install id',
    sort: 'installId',
    className: 'num',
    render: (i) => i.installId,
  },
  { key: 'serial', label: 'Device serial', sort: 'deviceSerial', render: (i) => i.deviceSerial },
  { key: 'host', label: 'Hostname', sort: 'hostname', render: (i) => i.hostname ?? '—' },
  { key: 'seen', label: 'Last seen', sort: 'lastSeenAt', render: (i) => dateTime(i.lastSeenAt) },
];

export function InstancesPage() {
  const { search } = useLocation();
  const account = search.get('account') ?? '';
  return (
    <section>
      <h1>Instances</h1>
      {account !== '' && (
        <p className="muted">
          Account <code>{account}</code> only.
        </p>
      )}
      <Collection<Instance>
        path="/v1/instances"
        columns={COLUMNS}
        rowKey={(i) => i.id}
        rowLink={(i) => `/instances/${i.id}`}
        caption="Instances"
        placeholder="lastSeenAt lt '2026-11-01'"
        fields="id, accountId, deviceSerial, name, installId, hostname, fingerprint, createdAt, lastSeenAt"
        extraFilter={account === '' ? undefined : `accountId eq ${quote(account)}`}
        empty="No instances registered."
      />
    </section>
  );
}

const LICENSE_COLUMNS: Column<License>[] = [
  {
    key: 'serial',
    label: 'Serial',
    render: (l) => <Link to={`/licenses/${encodeURIComponent(l.id)}`}>{l.serialNumber}</Link>,
  },
  { key: 'kind', label: 'Kind', render: (l) => l.kind },
  { key: 'term', label: 'Term', render: (l) => l.term },
  { key: 'quantity', label: 'Quantity', className: 'num', render: (l) => quantity(l.quantity) },
  { key: 'status', label: 'Status', render: (l) => <Badge value={l.validity.status} /> },
  { key: 'expires', label: 'Expires', render: (l) => date(l.expiresAt) },
];

/** An instance: when it was last seen and the licenses bound to it. */
export function InstanceDetailPage({ id }: { id: string }) {
  const path = `/v1/instances/${encodeURIComponent(id)}`;
  const instance = useApi((signal) => get<Instance>(path, undefined, signal), path);
  const licenses = useApi(
    (signal) => get<{ items: License[] }>(`${path}/licenses`, undefined, signal),
    `${path}/licenses`,
  );
  if (instance.loading && instance.data === undefined) return <Loading />;
  if (instance.data === undefined) return <ProblemView error={instance.error} />;
  const i = instance.data;
  return (
    <section>
      <h1>Instance {i.name === '' ? i.id : i.name}</h1>
      <article className="card">
        <Definitions
          items={[
            ['Id', <code key="id">{i.id}</code>],
            [
              'Account',
              <Link key="a" to={`/accounts/${encodeURIComponent(i.accountId)}`}>
                {i.accountId}
              </Link>,
            ],
            ['Install id', i.installId],
            ['Device serial', i.deviceSerial],
            ['Hostname', i.hostname ?? '—'],
            ['Fingerprint', i.fingerprint ?? '—'],
            ['Last seen', dateTime(i.lastSeenAt)],
            ['Registered', dateTime(i.createdAt)],
          ]}
        />
      </article>
      <h2>Bound licenses</h2>
      <ProblemView error={licenses.error} />
      {licenses.loading && licenses.data === undefined && <Loading />}
      {licenses.data?.items.length === 0 && <Empty>No license was ever activated here.</Empty>}
      {licenses.data !== undefined && licenses.data.items.length > 0 && (
        <DataTable
          caption="Licenses bound to the instance"
          columns={LICENSE_COLUMNS}
          rows={licenses.data.items}
          rowKey={(l) => l.id}
          rowLink={(l) => `/licenses/${encodeURIComponent(l.id)}`}
        />
      )}
    </section>
  );
}
