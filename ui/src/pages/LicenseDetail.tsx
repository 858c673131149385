import type { ReactNode } from 'react';
import { get, quote, request, type Page } from '../api';
import {
  Badge,
  DataTable,
  Definitions,
  Empty,
  Loading,
  ProblemView,
  type Column,
} from '../components';
import { date, dateTime, quantity } from '../format';
import { useAction, useApi } from '../hooks';
import { Link } from '../router';
import { useSession } from '../session';
import type { Activation, AuditEvent, License } from '../types';
import { LicensePolicyPanel } from './PoliciesLicense';

const EVENT_COLUMNS: Column<AuditEvent>[] = [
  { key: 'at', label: 'When', render: (e) => dateTime(e.at) },
  { key: 'type', label: 'Event', render: (e) => <code>{e.type}</code> },
  { key: 'actor', label: 'By', render: (e) => `${e.actor} (${e.actorRole})` },
  { key: 'request', label: 'Request id', render: (e) => e.requestId ?? '—' },
];

/** Saves a text as a file through a temporary object URL (no inline script, CSP-safe). */
function download(name: string, text: string, type: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const anchor = document.createElement('a');
  anchor.href = url;
  anchor.download = name;
  document.body.append(anchor);
  anchor.click();
  anchor.remove();
  URL.revokeObjectURL(url);
}

/** One license: every field, its activations, revoke/deactivate, its certificate and its events. */
export function LicenseDetailPage({ id }: { id: string }) {
  const session = useSession();
  const path = `/v1/licenses/${encodeURIComponent(id)}`;
  const license = useApi((signal) => get<License>(path, undefined, signal), path);
  const activations = useApi(
    (signal) => get<{ items: Activation[] }>(`${path}/activations`, undefined, signal),
    `${path}/activations`,
  );
  const resourceId = license.data?.id ?? id;
  const events = useApi(
    (signal) =>
      get<Page<AuditEvent>>(
        '/v1/events',
        {
          filter: `resourceType eq 'license' and resourceId eq ${quote(resourceId)}`,
          limit: 50,
        },
        signal,
      ),
    `events:${resourceId}`,
  );
  const action = useAction();

  const refresh = () => {
    license.reload();
    activations.reload();
    events.reload();
  };

  const deactivate = async (instance?: string) => {
    const ok = await action.run(() =>
      request(`${path}/deactivate`, {
        method: 'POST',
        body: instance === undefined ? {} : { instance },
      }),
    );
    if (ok !== undefined) refresh();
  };

  const revoke = async () => {
    if (!window.confirm('Revoke this license? It stops validating everywhere.')) return;
    const ok = await action.run(() => request(`${path}/revoke`, { method: 'POST' }));
    if (ok !== undefined) refresh();
  };

  const certificate = async () => {
    const issued = await action.run(() =>
      get<{ certificate: string; expiresAt: string }>(`${path}/certificate`),
    );
    if (issued !== undefined && license.data !== undefined) {
      download(
        `license-${String(license.data.serialNumber)}.jws`,
        issued.certificate,
        'application/jose',
      );
    }
  };

  if (license.loading && license.data === undefined) return <Loading />;
  if (license.data === undefined) {
    return (
      <section>
        <h1>License</h1>
        <ProblemView error={license.error} />
        <Link to="/licenses">Back to licenses</Link>
      </section>
    );
  }
  const l = license.data;
  const live = (activations.data?.items ?? []).filter((a) => a.deactivatedAt === null);
  const activationColumns: Column<Activation>[] = [
    {
      key: 'instance',
      label: 'Instance',
      render: (a) => <Link to={`/instances/${a.instanceId}`}>{a.instanceId}</Link>,
    },
    { key: 'install', label: 'Install id', render: (a) => a.installId },
    { key: 'serial', label: 'Device serial', render: (a) => a.deviceSerial },
    { key: 'activated', label: 'Activated', render: (a) => dateTime(a.activatedAt) },
    {
      key: 'deactivated',
      label: 'Deactivated',
      render: (a) =>
        a.deactivatedAt !== null ? (
          dateTime(a.deactivatedAt)
        ) : session.canManage ? (
          <button
            type="button"
            disabled={action.busy}
            onClick={() => {
              void deactivate(a.instanceId);
            }}
          >
            Deactivate
          </button>
        ) : (
          <Badge value="active" />
        ),
    },
  ];

  return (
    <section>
      <div className="page-head">
        <h1>
          License #{l.serialNumber} <Badge value={l.validity.status} />
        </h1>
        <div className="actions">
          <button type="button" onClick={() => void certificate()} disabled={action.busy}>
            Download certificate
          </button>
          {session.canManage && live.length > 0 && (
            <button type="button" onClick={() => void deactivate()} disabled={action.busy}>
              Deactivate everywhere
            </button>
          )}
          {session.isOperator && l.state !== 'revoked' && (
            <button
              type="button"
              className="danger"
              onClick={() => void revoke()}
              disabled={action.busy}
            >
              Revoke
            </button>
          )}
        </div>
      </div>
      <ProblemView error={action.error} />
      <article className="card">
        <Definitions
          items={[
            ['Resource id', <code key="id">{l.id}</code>],
            ['Key', <code key="key">{l.key}</code>],
            ['Key scheme', l.keyScheme],
            [
              'Account',
              <Link key="a" to={`/accounts/${encodeURIComponent(l.accountId)}`}>
                {l.accountId}
              </Link>,
            ],
            ['Product', l.productId ?? '—'],
            ['Kind', l.kind],
            ['Service', l.service ?? '—'],
            ['Group', l.group ?? '—'],
            ['Term', l.term],
            ['Metric', l.metricId ?? '—'],
            ['Quantity', quantity(l.quantity)],
            ['Features', l.features.length === 0 ? 'all of the product' : l.features.join(', ')],
            ['Base license', l.baseLicense ? 'yes' : 'no'],
            ['Description', l.description === '' ? '—' : l.description],
            ['State', l.state],
            [
              'Validity',
              <span key="v">
                {l.validity.valid ? 'valid' : 'not valid'}
                {l.validity.daysRemaining !== null &&
                  `, ${String(l.validity.daysRemaining)} days remaining`}
                {l.validity.inGrace &&
                  `, in grace (${String(l.validity.graceDaysRemaining ?? 0)} days)`}
                {l.validity.trialDaysRemaining !== null &&
                  `, trial: ${String(l.validity.trialDaysRemaining)} days`}
              </span>,
            ],
            ['Starts', dateTime(l.startsAt)],
            ['Expires', dateTime(l.expiresAt)],
            ['Grace days', l.graceDays],
            ['Activated', dateTime(l.activatedAt)],
            [
              'Seats',
              `${String(l.seatsUsed)} used of ${l.seatLimit === null ? 'unlimited' : String(l.seatLimit)}`,
            ],
            // Servers before issue 12 do not say; the policy section below finds out.
            ...(l.policyId === undefined
              ? []
              : ([
                  [
                    'Policy',
                    l.policyId === null ? (
                      '—'
                    ) : (
                      <Link key="p" to={`/policies/${l.policyId}`}>
                        <code>{l.policyId}</code>
                      </Link>
                    ),
                  ],
                ] as [string, ReactNode][])),
            ['Deactivated key', l.deactivatedKey ?? '—'],
            ['Order', l.orderId ?? '—'],
            ['SKU', l.sku ?? '—'],
            [
              'Labels',
              Object.keys(l.labels).length === 0
                ? '—'
                : Object.entries(l.labels)
                    .map(([k, v]) => `${k}=${v}`)
                    .join(', '),
            ],
            ['Created', dateTime(l.createdAt)],
            ['Updated', dateTime(l.updatedAt)],
          ]}
        />
      </article>

      <LicensePolicyPanel key={l.id} license={l} onChange={refresh} />

      <h2>Activations</h2>
      <ProblemView error={activations.error} />
      {activations.loading && activations.data === undefined && <Loading />}
      {activations.data?.items.length === 0 && <Empty>Not activated on any instance.</Empty>}
      {activations.data !== undefined && activations.data.items.length > 0 && (
        <DataTable
          caption="Activations"
          columns={activationColumns}
          rows={activations.data.items}
          rowKey={(a) => `${a.instanceId}-${a.activatedAt}`}
        />
      )}

      <h2>History</h2>
      <ProblemView error={events.error} />
      {events.loading && events.data === undefined && <Loading />}
      {events.data?.items.length === 0 && <Empty>No events.</Empty>}
      {events.data !== undefined && events.data.items.length > 0 && (
        <DataTable
          caption="Events of this license"
          columns={EVENT_COLUMNS}
          rows={events.data.items}
          rowKey={(e) => String(e.id)}
        />
      )}
      <p>
        <Link to="/licenses">Back to licenses</Link> · Expires {date(l.expiresAt)}
      </p>
    </section>
  );
}
