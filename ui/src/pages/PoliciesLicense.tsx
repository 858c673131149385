/**
 * A license's policy binding (policy, overrides, the terms it lives by) and, when those terms
 * float, its leases with their live status. Shown on the license page.
 */
import { useEffect, useState, type SyntheticEvent } from 'react';
import { ApiError, get, getAll, quote, request, type Page } from '../api';
import { DataTable, Empty, Field, Loading, ProblemView, type Column } from '../components';
import { dateTime } from '../format';
import { useAction, useApi } from '../hooks';
import { Link } from '../router';
import { useSession } from '../session';
import type { Lease, License, LicensePolicy, Policy, PolicyTerms } from '../types';
import { TERM_LABELS, TERM_NAMES, termText } from './Policies';

/** How often the leases are read again, and how often their clocks tick on screen. */
const REFETCH_MS = 5000;
const TICK_MS = 1000;

interface Binding {
  binding: LicensePolicy | null;
  policy: Policy | undefined;
}

interface PolicyEvent {
  summary: { after?: unknown } | null;
}

/**
 * Whether the license is bound to a policy, without provoking a 404: the license's `policyId`
 * says so when the server sends it; otherwise its latest `license.policy_changed` event does.
 */
async function isBound(license: License, signal: AbortSignal): Promise<boolean> {
  if (license.policyId !== undefined) return license.policyId !== null;
  const events = await get<Page<PolicyEvent>>(
    '/v1/events',
    {
      filter: `resourceType eq 'license' and resourceId eq ${quote(license.id)} and type eq 'license.policy_changed'`,
      include: 'id,summary',
      limit: 1,
    },
    signal,
  );
  const after = events.items[0]?.summary?.after;
  return after !== undefined && after !== null;
}

async function loadBinding(license: License, signal: AbortSignal): Promise<Binding> {
  if (!(await isBound(license, signal))) return { binding: null, policy: undefined };
  const path = `/v1/licenses/${encodeURIComponent(license.id)}/policy`;
  let binding: LicensePolicy;
  try {
    binding = await get<LicensePolicy>(path, undefined, signal);
  } catch (error) {
    // Unbound between the two reads.
    if (error instanceof ApiError && error.status === 404)
      return { binding: null, policy: undefined };
    throw error;
  }
  const policy = await get<Policy>(
    `/v1/policies/${encodeURIComponent(binding.policyId)}`,
    undefined,
    signal,
  );
  return { binding, policy };
}

/** Whole seconds as "1h 02m 03s", "4m 05s" or "12s". */
export function span(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const two = (n: number) => String(n).padStart(2, '0');
  if (h > 0) return `${String(h)}h ${two(m)}m ${two(s)}s`;
  if (m > 0) return `${String(m)}m ${two(s)}s`;
  return `${String(s)}s`;
}

/** ⌊limit × factor⌋ (docs/policies.md#overage); null when nothing caps the seats. */
function overageCeiling(terms: PolicyTerms): number | null {
  const factor = { NONE: 1, '1.25X': 1.25, '1.5X': 1.5, '2X': 2, UNLIMITED: null }[terms.overage];
  if (terms.seatLimit === null || factor === null) return null;
  return Math.floor(terms.seatLimit * factor);
}

/**
 * A lease holds its seat while the server says so and, between two reads, until its end or its
 * heartbeat window (two intervals, docs/policies.md) passes on the clock.
 */
function aliveAt(lease: Lease, terms: PolicyTerms, now: number): boolean {
  if (!lease.alive || now >= Date.parse(lease.expiresAt)) return false;
  if (terms.heartbeatSeconds === null) return true;
  return now < Date.parse(lease.lastHeartbeatAt) + 2 * terms.heartbeatSeconds * 1000;
}

function LeaseStatus({ alive }: { alive: boolean }) {
  return (
    <span className={`badge badge-${alive ? 'ok' : 'bad'}`} data-testid="lease-status">
      {alive ? 'alive' : 'dead'}
    </span>
  );
}

/** The leases of a floating license: re-read every 5 s, their clocks ticking every second. */
function LeasesPanel({ licenseId, terms }: { licenseId: string; terms: PolicyTerms }) {
  const session = useSession();
  const path = `/v1/licenses/${encodeURIComponent(licenseId)}/leases`;
  const leases = useApi((signal) => get<{ items: Lease[] }>(path, undefined, signal), path);
  const [now, setNow] = useState(() => Date.now());
  const action = useAction();
  const { reload } = leases;

  useEffect(() => {
    const tick = window.setInterval(() => {
      setNow(Date.now());
    }, TICK_MS);
    const refetch = window.setInterval(() => {
      if (document.visibilityState !== 'hidden') reload();
    }, REFETCH_MS);
    return () => {
      window.clearInterval(tick);
      window.clearInterval(refetch);
    };
  }, [reload]);

  const checkIn = async (lease: Lease) => {
    const done = await action.run(() =>
      request(`${path}/${encodeURIComponent(lease.id)}`, { method: 'DELETE' }),
    );
    if (done !== undefined) reload();
  };

  const items = leases.data?.items ?? [];
  const used = items.filter((lease) => aliveAt(lease, terms, now)).length;
  const ceiling = overageCeiling(terms);
  const columns: Column<Lease>[] = [
    {
      key: 'instance',
      label: 'Instance',
      render: (l) => <Link to={`/instances/${l.instanceId}`}>{l.instanceId}</Link>,
    },
    {
      key: 'status',
      label: 'Status',
      render: (l) => <LeaseStatus alive={aliveAt(l, terms, now)} />,
    },
    {
      key: 'expires',
      label: 'Expires in',
      className: 'num',
      render: (l) => {
        const left = Date.parse(l.expiresAt) - now;
        return (
          <span title={dateTime(l.expiresAt)} data-testid="expires-in">
            {left > 0 ? span(left) : `ended ${span(-left)} ago`}
          </span>
        );
      },
    },
    {
      key: 'heartbeat',
      label: 'Last heartbeat',
      className: 'num',
      render: (l) => (
        <span title={dateTime(l.lastHeartbeatAt)} data-testid="heartbeat-ago">
          {span(now - Date.parse(l.lastHeartbeatAt))} ago
        </span>
      ),
    },
    { key: 'since', label: 'Checked out', render: (l) => dateTime(l.createdAt) },
    ...(session.canManage
      ? [
          {
            key: 'release',
            label: 'Release',
            render: (l: Lease) => (
              <button
                type="button"
                disabled={action.busy}
                aria-label={`Check in the lease of ${l.instanceId}`}
                onClick={() => void checkIn(l)}
              >
                Check in
              </button>
            ),
          },
        ]
      : []),
  ];

  return (
    <>
      <h2>Leases</h2>
      <p data-testid="lease-seats">
        <strong data-testid="seats-used">{used}</strong> of{' '}
        <strong data-testid="seat-limit">
          {terms.seatLimit === null ? 'unlimited' : terms.seatLimit}
        </strong>{' '}
        seats in use
        {terms.overage !== 'NONE' && (
          <>
            {' '}
            · overage {terms.overage}: at most{' '}
            <strong data-testid="overage-ceiling">
              {ceiling === null ? 'unlimited' : ceiling}
            </strong>
          </>
        )}
        {' · '}
        lease {span(terms.leaseSeconds * 1000)}
        {terms.heartbeatSeconds !== null &&
          `, heartbeat every ${span(terms.heartbeatSeconds * 1000)}`}
        <span className="muted small"> · refreshed every 5 s</span>
      </p>
      <ProblemView error={action.error} />
      <ProblemView error={leases.error} />
      {leases.data === undefined && leases.loading && <Loading what="Loading leases" />}
      {leases.data !== undefined && items.length === 0 && <Empty>No lease is checked out.</Empty>}
      {items.length > 0 && (
        <DataTable
          caption="Leases of this license"
          columns={columns}
          rows={items}
          rowKey={(l) => l.id}
        />
      )}
    </>
  );
}

function overridesText(binding: LicensePolicy | null): string {
  if (binding === null || Object.keys(binding.overrides).length === 0) return '';
  return JSON.stringify(binding.overrides, null, 2);
}

/** Operators and admins bind the license to a policy of its product, with overrides. */
function BindForm({
  license,
  binding,
  onDone,
  onCancel,
}: {
  license: License;
  binding: LicensePolicy | null;
  onDone: () => void;
  onCancel: () => void;
}) {
  const productId = license.productId;
  const path = `/v1/licenses/${encodeURIComponent(license.id)}/policy`;
  const policies = useApi(
    () =>
      // (The policies collection takes no `include`: whole policies, a product has few.)
      getAll<Policy>('/v1/policies', { filter: `productId eq ${String(productId)}` }),
    `policies:${String(productId)}`,
  );
  const [chosen, setChosen] = useState(binding?.policyId ?? '');
  const [overrides, setOverrides] = useState(() => overridesText(binding));
  const [jsonError, setJsonError] = useState<string | undefined>(undefined);
  const action = useAction();

  const submit = async (event: SyntheticEvent) => {
    event.preventDefault();
    setJsonError(undefined);
    let parsed: unknown = undefined;
    if (overrides.trim() !== '') {
      try {
        parsed = JSON.parse(overrides);
      } catch (error) {
        setJsonError(`not JSON: ${error instanceof Error ? error.message : String(error)}`);
        return;
      }
    }
    const body = parsed === undefined ? { policy: chosen } : { policy: chosen, overrides: parsed };
    const done = await action.run(() => request<LicensePolicy>(path, { method: 'PUT', body }));
    if (done !== undefined) onDone();
  };

  const unbind = async () => {
    if (!window.confirm('Unbind this license from its policy? Its leases stop counting.')) return;
    const done = await action.run(() => request(path, { method: 'DELETE' }));
    if (done !== undefined) onDone();
  };

  const policyReason = action.error?.fieldReason('policy');
  const overridesReason = jsonError ?? action.error?.fieldReason('overrides');
  return (
    <form className="form" onSubmit={(event) => void submit(event)} noValidate>
      <Field label="Policy" name="policy" reason={policyReason}>
        <select
          id="f-policy"
          name="policy"
          // The form opens on request: the keyboard lands on its first field.
          autoFocus
          value={chosen}
          aria-invalid={policyReason !== undefined}
          onChange={(event) => {
            setChosen(event.target.value);
          }}
        >
          <option value="">—</option>
          {(policies.data ?? []).map((p) => (
            <option key={p.id} value={p.id}>
              {p.name}
            </option>
          ))}
        </select>
      </Field>
      {policies.data?.length === 0 && (
        <p className="muted">
          No policy for this product yet: <Link to="/policies/new">create one</Link>.
        </p>
      )}
      <ProblemView error={policies.error} />
      <Field
        label="Overrides (JSON)"
        name="overrides"
        reason={overridesReason}
        hint={
          'Terms this license departs from, e.g. {"seatLimit": 5, "graceDays": 7}; empty: none.'
        }
      >
        <textarea
          id="f-overrides"
          name="overrides"
          rows={4}
          spellCheck={false}
          value={overrides}
          aria-invalid={overridesReason !== undefined}
          aria-describedby={overridesReason !== undefined ? 'f-overrides-error' : undefined}
          onChange={(event) => {
            setOverrides(event.target.value);
          }}
        />
      </Field>
      <ProblemView error={action.error} />
      <div className="form-actions">
        <button type="submit" className="primary" disabled={action.busy}>
          {binding === null ? 'Bind' : 'Save binding'}
        </button>
        {binding !== null && (
          <button
            type="button"
            className="danger"
            disabled={action.busy}
            onClick={() => void unbind()}
          >
            Unbind…
          </button>
        )}
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

/** The license's policy, its overrides and effective terms, its leases when floating. */
export function LicensePolicyPanel({
  license,
  onChange,
}: {
  license: License;
  onChange: () => void;
}) {
  const session = useSession();
  const key = `policy:${license.id}:${String(license.policyId)}`;
  const loaded = useApi((signal) => loadBinding(license, signal), key);
  const [editing, setEditing] = useState(false);

  const heading = <h2>Policy</h2>;
  if (loaded.data === undefined) {
    return (
      <>
        {heading}
        {loaded.loading ? (
          <Loading what="Loading the policy" />
        ) : (
          <ProblemView error={loaded.error} />
        )}
      </>
    );
  }
  const { binding, policy } = loaded.data;
  const canBind = session.canManage && license.productId !== null;
  const done = () => {
    setEditing(false);
    loaded.reload();
    onChange();
  };

  return (
    <>
      {heading}
      <ProblemView error={loaded.error} />
      {binding === null ? (
        <Empty>
          Not bound to a policy
          {license.productId === null ? ' (a license without a product cannot be).' : '.'}
        </Empty>
      ) : (
        <>
          <p data-testid="bound-policy">
            Bound to{' '}
            <Link to={`/policies/${binding.policyId}`}>{policy?.name ?? binding.policyId}</Link>
            {policy !== undefined && <span className="muted"> (revision {policy.revision})</span>}
            {Object.keys(binding.overrides).length === 0
              ? ', without overrides.'
              : `, overriding ${Object.keys(binding.overrides).join(', ')}.`}
          </p>
          <div className="table-wrap">
            <table className="compact" data-testid="effective-terms">
              <caption className="sr-only">Effective terms</caption>
              <thead>
                <tr>
                  <th scope="col">Term</th>
                  <th scope="col">Policy</th>
                  <th scope="col">Override</th>
                  <th scope="col">Effective</th>
                </tr>
              </thead>
              <tbody>
                {TERM_NAMES.map((name) => (
                  <tr key={name} data-term={name}>
                    <th scope="row">{TERM_LABELS[name]}</th>
                    <td>{policy === undefined ? '—' : termText(name, policy[name])}</td>
                    <td>
                      {name in binding.overrides ? termText(name, binding.overrides[name]) : ''}
                    </td>
                    <td>
                      <strong>{termText(name, binding.terms[name])}</strong>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
      {canBind && !editing && (
        <p>
          <button
            type="button"
            onClick={() => {
              setEditing(true);
            }}
          >
            {binding === null ? 'Bind to a policy…' : 'Change binding…'}
          </button>
        </p>
      )}
      {canBind && editing && (
        <BindForm
          license={license}
          binding={binding}
          onDone={done}
          onCancel={() => {
            setEditing(false);
          }}
        />
      )}
      {binding?.terms.floating === true && (
        <LeasesPanel licenseId={license.id} terms={binding.terms} />
      )}
    </>
  );
}
