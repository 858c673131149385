import { useState, type ReactNode, type SyntheticEvent } from 'react';
import { ApiError, get, getAll, request } from '../api';
import { Collection } from '../Collection';
import { Badge, Definitions, Field, Loading, ProblemView, type Column } from '../components';
import { date, dateTime } from '../format';
import { useAction, useApi } from '../hooks';
import { Link, navigate } from '../router';
import { useSession } from '../session';
import type { Policy, PolicyTerms, Product } from '../types';

/** The terms in the order docs/policies.md lists them, with the words the dashboard uses. */
export const TERM_LABELS: Record<keyof PolicyTerms, string> = {
  term: 'Term',
  durationDays: 'Duration (days)',
  clockStarts: 'Clock starts',
  renewalBasis: 'Renewal basis',
  expirationBehaviour: 'After expiry',
  graceDays: 'Grace days',
  seatLimit: 'Seat limit',
  nodeLocked: 'Node-locked',
  fingerprintMatching: 'Fingerprint matching',
  floating: 'Floating',
  leaseSeconds: 'Lease (seconds)',
  heartbeatSeconds: 'Heartbeat (seconds)',
  deadInstance: 'Dead instance',
  overage: 'Overage',
  features: 'Features',
  metrics: 'Metrics',
  requiredScopes: 'Required scopes',
  rateLimits: 'Rate limits',
};

export const TERM_NAMES = Object.keys(TERM_LABELS) as (keyof PolicyTerms)[];

/** One term's value in words (a term absent from an override list shows as undefined → '—'). */
export function termText(
  name: keyof PolicyTerms,
  value: PolicyTerms[keyof PolicyTerms] | undefined,
): string {
  if (value === undefined) return '—';
  if (value === null) {
    if (name === 'durationDays') return 'perpetual';
    if (name === 'seatLimit') return 'unlimited';
    return 'none';
  }
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  if (typeof value === 'number') return value.toLocaleString('en-US');
  if (typeof value === 'string') return value.replace(/_/g, ' ');
  if (Array.isArray(value)) {
    if (value.length === 0) return 'none';
    return value
      .map((item) =>
        typeof item === 'string'
          ? item
          : `metric ${String(item.metricId)}: ${item.quantity < 0 ? 'unlimited' : String(item.quantity)}`,
      )
      .join(', ');
  }
  return `${String(value.activationsPerHour)} activations/h, ${String(value.deactivationsPerHour)} deactivations/h, ${String(value.validationsPerMinute)} validations/min`;
}

/** Term and duration in one cell: "SUBSCRIPTION · 365 d". */
export function termAndDuration(terms: PolicyTerms): string {
  return terms.durationDays === null
    ? terms.term
    : `${terms.term} · ${String(terms.durationDays)} d`;
}

function useProductNames() {
  const products = useApi(
    () => getAll<Product>('/v1/products', { include: 'id,slug,name' }),
    'products',
  );
  return (id: number): string => {
    const product = products.data?.find((p) => p.id === id);
    return product === undefined ? String(id) : `${product.name} (${product.slug})`;
  };
}

/** Policies: the operators' catalog of license templates, filtered, sorted and paged by the API. */
export function PoliciesPage() {
  const session = useSession();
  const productName = useProductNames();
  const columns: Column<Policy>[] = [
    {
      key: 'name',
      label: 'Name',
      sort: 'name',
      render: (p) => <Link to={`/policies/${p.id}`}>{p.name}</Link>,
    },
    {
      key: 'product',
      label: 'Product',
      sort: 'productId',
      render: (p) => productName(p.productId),
    },
    { key: 'term', label: 'Term', render: termAndDuration },
    {
      key: 'seats',
      label: 'Seats',
      className: 'num',
      render: (p) => termText('seatLimit', p.seatLimit),
    },
    {
      key: 'floating',
      label: 'Floating',
      render: (p) => (p.floating ? <Badge value="floating" /> : 'no'),
    },
    { key: 'overage', label: 'Overage', render: (p) => p.overage },
    {
      key: 'heartbeat',
      label: 'Heartbeat',
      render: (p) => (p.heartbeatSeconds === null ? '—' : `${String(p.heartbeatSeconds)} s`),
    },
    { key: 'revision', label: 'Revision', className: 'num', render: (p) => p.revision },
    { key: 'updated', label: 'Updated', sort: 'updatedAt', render: (p) => date(p.updatedAt) },
  ];
  return (
    <section>
      <div className="page-head">
        <h1>Policies</h1>
        {session.isOperator && (
          <div className="actions">
            <Link to="/policies/new" className="button primary">
              New policy
            </Link>
          </div>
        )}
      </div>
      <Collection
        path="/v1/policies"
        columns={columns}
        rowKey={(p) => p.id}
        rowLink={(p) => `/policies/${p.id}`}
        caption="Policies"
        placeholder="productId eq 2 and name eq 'Floating'"
        fields="id, productId, name, createdAt, updatedAt"
        empty="No policy matches."
      />
    </section>
  );
}

/** Every term of a policy, as definitions. */
export function termItems(terms: PolicyTerms): [string, ReactNode][] {
  return TERM_NAMES.map((name) => [TERM_LABELS[name], termText(name, terms[name])]);
}

/** One policy: every term; operators edit and delete it (a policy in use cannot be deleted). */
export function PolicyDetailPage({ id }: { id: string }) {
  const session = useSession();
  const productName = useProductNames();
  const path = `/v1/policies/${encodeURIComponent(id)}`;
  const policy = useApi((signal) => get<Policy>(path, undefined, signal), path);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const action = useAction();

  const remove = async () => {
    const done = await action.run(() => request(path, { method: 'DELETE' }));
    setConfirmDelete(false);
    if (done !== undefined) navigate('/policies');
  };

  if (policy.loading && policy.data === undefined) return <Loading />;
  if (policy.data === undefined) {
    return (
      <section>
        <h1>Policy</h1>
        <ProblemView error={policy.error} />
        <Link to="/policies">Back to policies</Link>
      </section>
    );
  }
  const p = policy.data;
  const inUse = action.error?.status === 409;
  return (
    <section>
      <div className="page-head">
        <h1>
          Policy {p.name} {p.floating && <Badge value="floating" />}
        </h1>
        {session.isOperator && (
          <div className="actions">
            <Link to={`/policies/${p.id}/edit`} className="button">
              Edit
            </Link>
            <button
              type="button"
              className="danger"
              onClick={() => {
                action.clear();
                setConfirmDelete(true);
              }}
              disabled={action.busy}
            >
              Delete…
            </button>
          </div>
        )}
      </div>
      {inUse && (
        <p className="notice" role="alert" data-testid="in-use">
          This policy is in use: licenses are still bound to it. Unbind them (on each license’s
          page) before deleting it.
        </p>
      )}
      <ProblemView error={action.error} />
      {confirmDelete && (
        <div className="confirm" role="dialog" aria-labelledby="h-delete" aria-modal="false">
          <h2 id="h-delete">Delete policy {p.name}?</h2>
          <p>Only a policy no license is bound to can be deleted.</p>
          <div className="form-actions">
            <button
              type="button"
              className="danger"
              disabled={action.busy}
              onClick={() => void remove()}
            >
              Delete
            </button>
            <button
              type="button"
              onClick={() => {
                setConfirmDelete(false);
              }}
            >
              Keep it
            </button>
          </div>
        </div>
      )}
      <article className="card">
        <Definitions
          items={[
            ['Id', <code key="id">{p.id}</code>],
            ['Product', productName(p.productId)],
            ['Description', p.description === '' ? '—' : p.description],
            ...termItems(p),
            ['Revision', p.revision],
            ['Created', dateTime(p.createdAt)],
            ['Updated', dateTime(p.updatedAt)],
          ]}
        />
      </article>
      <p>
        <Link to="/policies">Back to policies</Link>
      </p>
    </section>
  );
}

const CHOICES = {
  term: ['PERPETUAL', 'SUBSCRIPTION', 'TRIAL', 'DEMO'],
  clockStarts: ['ISSUE', 'FIRST_ACTIVATION', 'FIRST_VALIDATION'],
  renewalBasis: ['FROM_EXPIRY', 'FROM_NOW'],
  expirationBehaviour: ['RESTRICT', 'MAINTAIN', 'ALLOW'],
  fingerprintMatching: ['ANY', 'MOST', 'ALL'],
  deadInstance: ['DEACTIVATE', 'KEEP'],
  overage: ['NONE', '1.25X', '1.5X', '2X', 'UNLIMITED'],
} as const;
const SCOPES = ['product', 'instance', 'fingerprint', 'feature'] as const;

type Text =
  | 'name'
  | 'product'
  | 'description'
  | keyof typeof CHOICES
  | 'durationDays'
  | 'graceDays'
  | 'seatLimit'
  | 'leaseSeconds'
  | 'heartbeatSeconds'
  | 'features'
  | 'metrics'
  | 'rateLimits.activationsPerHour'
  | 'rateLimits.deactivationsPerHour'
  | 'rateLimits.validationsPerMinute';

interface Form {
  text: Record<Text, string>;
  nodeLocked: boolean;
  floating: boolean;
  requiredScopes: string[];
}

const text = (v: number | string | null) => (v === null ? '' : String(v));

/** The form for a policy, or for a new one with the documented defaults. */
function formOf(p: Policy | undefined): Form {
  return {
    text: {
      name: p?.name ?? '',
      product: p === undefined ? '' : String(p.productId),
      description: p?.description ?? '',
      term: p?.term ?? 'PERPETUAL',
      durationDays: text(p?.durationDays ?? null),
      clockStarts: p?.clockStarts ?? 'ISSUE',
      renewalBasis: p?.renewalBasis ?? 'FROM_EXPIRY',
      expirationBehaviour: p?.expirationBehaviour ?? 'RESTRICT',
      graceDays: text(p?.graceDays ?? 0),
      seatLimit: text(p?.seatLimit ?? null),
      fingerprintMatching: p?.fingerprintMatching ?? 'ANY',
      leaseSeconds: text(p?.leaseSeconds ?? 3600),
      heartbeatSeconds: text(p?.heartbeatSeconds ?? null),
      deadInstance: p?.deadInstance ?? 'DEACTIVATE',
      overage: p?.overage ?? 'NONE',
      features: (p?.features ?? []).join(', '),
      metrics: (p?.metrics ?? [])
        .map((m) => `${String(m.metricId)}=${String(m.quantity)}`)
        .join(', '),
      'rateLimits.activationsPerHour': text(p?.rateLimits.activationsPerHour ?? 120),
      'rateLimits.deactivationsPerHour': text(p?.rateLimits.deactivationsPerHour ?? 120),
      'rateLimits.validationsPerMinute': text(p?.rateLimits.validationsPerMinute ?? 600),
    },
    nodeLocked: p?.nodeLocked ?? false,
    floating: p?.floating ?? false,
    requiredScopes: p?.requiredScopes ?? [],
  };
}

/** A number as typed: empty is "not given"; what is no number is sent as typed for the API to name. */
function numberOf(value: string): number | string | undefined {
  const trimmed = value.trim();
  if (trimmed === '') return undefined;
  const parsed = Number(trimmed);
  return Number.isFinite(parsed) ? parsed : trimmed;
}

const list = (value: string) =>
  value
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '');

/** The request body: what the form holds, the rules left to the API (one set of rules). */
function bodyOf(form: Form, existing: Policy | undefined): Record<string, unknown> {
  const t = form.text;
  // Nullable terms: empty means null (none) on an edit, the default on a create.
  const cleared = existing === undefined ? undefined : null;
  const body: Record<string, unknown> = {
    name: t.name.trim(),
    description: t.description,
    term: t.term,
    durationDays: numberOf(t.durationDays) ?? cleared,
    clockStarts: t.clockStarts,
    renewalBasis: t.renewalBasis,
    expirationBehaviour: t.expirationBehaviour,
    graceDays: numberOf(t.graceDays),
    seatLimit: numberOf(t.seatLimit) ?? cleared,
    nodeLocked: form.nodeLocked,
    fingerprintMatching: t.fingerprintMatching,
    floating: form.floating,
    leaseSeconds: numberOf(t.leaseSeconds),
    heartbeatSeconds: numberOf(t.heartbeatSeconds) ?? cleared,
    deadInstance: t.deadInstance,
    overage: t.overage,
    features: list(t.features),
    // "metricId=quantity" pairs; a malformed pair goes as typed, for the API to name.
    metrics: list(t.metrics).map((pair) => {
      const [metric = '', amount = ''] = pair.split('=');
      return Object.fromEntries(
        Object.entries({ metricId: numberOf(metric), quantity: numberOf(amount) }).filter(
          ([, v]) => v !== undefined,
        ),
      );
    }),
    requiredScopes: SCOPES.filter((s) => form.requiredScopes.includes(s)),
  };
  const limits = Object.fromEntries(
    (['activationsPerHour', 'deactivationsPerHour', 'validationsPerMinute'] as const)
      .map((name) => [name, numberOf(t[`rateLimits.${name}`])] as const)
      .filter(([, v]) => v !== undefined),
  );
  if (Object.keys(limits).length > 0) body.rateLimits = limits;
  if (existing === undefined) body.product = numberOf(t.product) ?? '';
  return Object.fromEntries(Object.entries(body).filter(([, value]) => value !== undefined));
}

/**
 * Create (POST) or edit (PATCH with If-Match) a policy; the API's reason for a refused field sits
 * under that field. A stale revision (409) says so and reloads the policy.
 */
export function PolicyFormPage({ id }: { id?: string }) {
  const path = id === undefined ? undefined : `/v1/policies/${encodeURIComponent(id)}`;
  const loaded = useApi(
    async (signal) => ({
      policy: path === undefined ? undefined : await get<Policy>(path, undefined, signal),
      products: await getAll<Product>('/v1/products', { include: 'id,slug,name' }),
    }),
    path ?? 'new',
  );
  const [form, setForm] = useState<Form | undefined>(undefined);
  const [stale, setStale] = useState<ApiError | undefined>(undefined);
  const action = useAction();
  const existing = loaded.data?.policy;
  const current = form ?? formOf(existing);

  if (loaded.data === undefined) {
    return loaded.loading ? <Loading /> : <ProblemView error={loaded.error} />;
  }
  if (path !== undefined && existing === undefined) return <ProblemView error={loaded.error} />;

  const reason = (name: string) => action.error?.fieldReason(name);
  const setText = (name: Text) => (event: { target: { value: string } }) => {
    setForm({ ...current, text: { ...current.text, [name]: event.target.value } });
  };

  const submit = async (event: SyntheticEvent) => {
    event.preventDefault();
    setStale(undefined);
    const body = bodyOf(current, existing);
    const saved = await action.run(async () => {
      try {
        return path === undefined || existing === undefined
          ? await request<Policy>('/v1/policies', { method: 'POST', body })
          : await request<Policy>(path, {
              method: 'PATCH',
              body,
              headers: { 'if-match': `"${String(existing.revision)}"` },
            });
      } catch (error) {
        // A 409 without named fields on an edit: the revision is stale (a taken name names `name`).
        if (
          error instanceof ApiError &&
          error.status === 409 &&
          existing !== undefined &&
          (error.problem.invalidFields ?? []).length === 0
        ) {
          return error;
        }
        throw error;
      }
    });
    if (saved instanceof ApiError) {
      // Someone changed the policy since it was read: show the current one to edit again.
      setStale(saved);
      setForm(undefined);
      loaded.reload();
    } else if (saved !== undefined) {
      navigate(`/policies/${saved.data.id}`);
    }
  };

  const input = (name: Text, label: string, hint?: string, inputMode?: 'numeric') => (
    <Field
      label={label}
      name={name}
      reason={reason(name)}
      {...(hint === undefined ? {} : { hint })}
    >
      <input
        id={`f-${name}`}
        name={name}
        value={current.text[name]}
        inputMode={inputMode}
        aria-invalid={reason(name) !== undefined}
        aria-describedby={reason(name) !== undefined ? `f-${name}-error` : undefined}
        onChange={setText(name)}
      />
    </Field>
  );
  const select = (name: keyof typeof CHOICES, label: string) => (
    <Field label={label} name={name} reason={reason(name)}>
      <select id={`f-${name}`} name={name} value={current.text[name]} onChange={setText(name)}>
        {CHOICES[name].map((o) => (
          <option key={o} value={o}>
            {o}
          </option>
        ))}
      </select>
    </Field>
  );
  const check = (name: 'nodeLocked' | 'floating', label: string, hint: string) => (
    <Field label={label} name={name} reason={reason(name)} hint={hint}>
      <input
        id={`f-${name}`}
        name={name}
        type="checkbox"
        checked={current[name]}
        aria-invalid={reason(name) !== undefined}
        onChange={(event) => {
          setForm({ ...current, [name]: event.target.checked });
        }}
      />
    </Field>
  );

  return (
    <section>
      <h1>{existing === undefined ? 'New policy' : `Edit policy ${existing.name}`}</h1>
      {stale !== undefined && (
        <div className="notice" role="alert" data-testid="stale">
          <strong>This policy was changed by someone else while you edited it.</strong> The form now
          shows its current version (revision {existing?.revision ?? '?'}); make your change again
          and save. <span className="muted small">({stale.problem.detail})</span>
        </div>
      )}
      <form className="form two-columns" onSubmit={(event) => void submit(event)} noValidate>
        {input('name', 'Name')}
        {existing === undefined ? (
          <Field label="Product" name="product" reason={reason('product')}>
            <select
              id="f-product"
              name="product"
              value={current.text.product}
              onChange={setText('product')}
            >
              <option value="">—</option>
              {loaded.data.products.map((p) => (
                <option key={p.id} value={p.id}>
                  {p.name} ({p.slug})
                </option>
              ))}
            </select>
          </Field>
        ) : (
          <Field label="Product" name="product">
            <input
              id="f-product"
              value={
                loaded.data.products.find((p) => p.id === existing.productId)?.name ??
                String(existing.productId)
              }
              readOnly
            />
          </Field>
        )}
        {input('description', 'Description')}
        {select('term', 'Term')}
        {input('durationDays', 'Duration (days)', 'Empty: perpetual.', 'numeric')}
        {select('clockStarts', 'Clock starts')}
        {select('renewalBasis', 'Renewal basis')}
        {select('expirationBehaviour', 'After expiry')}
        {input('graceDays', 'Grace days', undefined, 'numeric')}
        {input('seatLimit', 'Seat limit', 'Empty: unlimited.', 'numeric')}
        {check('nodeLocked', 'Node-locked', 'One instance only.')}
        {select('fingerprintMatching', 'Fingerprint matching')}
        {check('floating', 'Floating', 'Seats are leases checked out and in.')}
        {input('leaseSeconds', 'Lease (seconds)', undefined, 'numeric')}
        {input('heartbeatSeconds', 'Heartbeat (seconds)', 'Empty: no heartbeat.', 'numeric')}
        {select('deadInstance', 'Dead instance')}
        {select('overage', 'Overage')}
        {input('features', 'Features', 'Comma-separated feature ids.')}
        {input('metrics', 'Metrics', 'metricId=quantity, comma-separated; -1 is unlimited.')}
        <Field label="Required scopes" name="requiredScopes" reason={reason('requiredScopes')}>
          <div id="f-requiredScopes" role="group" aria-label="Required scopes">
            {SCOPES.map((scope) => (
              <label key={scope} className="inline">
                <input
                  type="checkbox"
                  name="requiredScopes"
                  value={scope}
                  checked={current.requiredScopes.includes(scope)}
                  onChange={(event) => {
                    const others = current.requiredScopes.filter((s) => s !== scope);
                    setForm({
                      ...current,
                      requiredScopes: event.target.checked ? [...others, scope] : others,
                    });
                  }}
                />{' '}
                {scope}
              </label>
            ))}
          </div>
        </Field>
        {input('rateLimits.activationsPerHour', 'Activations per hour', undefined, 'numeric')}
        {input('rateLimits.deactivationsPerHour', 'Deactivations per hour', undefined, 'numeric')}
        {input('rateLimits.validationsPerMinute', 'Validations per minute', undefined, 'numeric')}
        <div className="span-all">
          <ProblemView error={action.error} />
          <div className="form-actions">
            <button type="submit" className="primary" disabled={action.busy}>
              {action.busy ? 'Saving…' : 'Save'}
            </button>
            <Link to={existing === undefined ? '/policies' : `/policies/${existing.id}`}>
              Cancel
            </Link>
          </div>
        </div>
      </form>
    </section>
  );
}
