import { useState, type SyntheticEvent } from 'react';
import { get, getAll, request } from '../api';
import { Field, Loading, ProblemView } from '../components';
import { useAction, useApi } from '../hooks';
import { Link, navigate } from '../router';
import type { Product, Subscription } from '../types';

const MEDIA_TYPE = 'application/astra-subscription';
const UNITS = [
  '',
  'nodes',
  'instances',
  'users',
  'devices',
  'seats',
  'cores',
  'apps',
  'namespaces',
  'flows/min',
  'TB',
  'TiB',
  'GB',
  'GiB',
  'units',
];
const MARKETPLACES = ['', 'netapp', 'azure', 'aws', 'gcp'];
const ONBOARD = ['not started', 'in progress', 'success', 'failed'];

type Form = Record<
  | 'terms'
  | 'accounts'
  | 'productId'
  | 'entitledCapacity'
  | 'capacityUnit'
  | 'expiresAt'
  | 'appLimit'
  | 'namespaceLimit'
  | 'subscriptionPeriod'
  | 'gracePeriod'
  | 'reminderBeforePeriod'
  | 'onboardStatus'
  | 'costPerAppUnit'
  | 'costPerNamespaceUnit'
  | 'marketplace'
  | 'purchaseOrderNumber'
  | 'licenseSN'
  | 'customerProfileID'
  | 'paymentProfileID',
  string
>;

const EMPTY: Form = {
  terms: 'paid',
  accounts: '',
  productId: '',
  entitledCapacity: '',
  capacityUnit: '',
  expiresAt: '',
  appLimit: '',
  namespaceLimit: '',
  subscriptionPeriod: '',
  gracePeriod: '',
  reminderBeforePeriod: '',
  onboardStatus: 'not started',
  costPerAppUnit: '',
  costPerNamespaceUnit: '',
  marketplace: '',
  purchaseOrderNumber: '',
  licenseSN: '',
  customerProfileID: '',
  paymentProfileID: '',
};

function formOf(s: Subscription): Form {
  const text = (v: number | string | null | undefined) =>
    v === null || v === undefined ? '' : String(v);
  return {
    terms: s.terms,
    accounts: s.accounts.join(', '),
    productId: text(s.productId),
    entitledCapacity: text(s.entitledCapacity),
    capacityUnit: text(s.capacityUnit),
    expiresAt: s.expiresAt === null ? '' : s.expiresAt.slice(0, 10),
    appLimit: text(s.appLimit),
    namespaceLimit: text(s.namespaceLimit),
    subscriptionPeriod: text(s.subscriptionPeriod),
    gracePeriod: text(s.gracePeriod),
    reminderBeforePeriod: text(s.reminderBeforePeriod),
    onboardStatus: s.onboardStatus,
    costPerAppUnit: text(s.costPerAppUnit),
    costPerNamespaceUnit: text(s.costPerNamespaceUnit),
    marketplace: text(s.marketplace),
    purchaseOrderNumber: text(s.purchaseOrderNumber),
    licenseSN: text(s.licenseSN),
    customerProfileID: s.customerProfileID,
    paymentProfileID: s.paymentProfileID,
  };
}

/** A number as typed: empty is "not given"; what is no number is sent as typed for the API to name. */
function numberOf(value: string): number | string | undefined {
  const text = value.trim();
  if (text === '') return undefined;
  const parsed = Number(text);
  return Number.isFinite(parsed) ? parsed : text;
}

/** The request body: only what the form holds, validation left to the API (one set of rules). */
function bodyOf(form: Form, existing: Subscription | undefined): Record<string, unknown> {
  const body: Record<string, unknown> = {
    type: MEDIA_TYPE,
    version: existing?.version ?? '1.2',
    terms: form.terms,
    accounts: form.accounts
      .split(',')
      .map((a) => a.trim())
      .filter((a) => a !== ''),
    onboardStatus: form.onboardStatus,
  };
  const numbers = [
    'appLimit',
    'namespaceLimit',
    'subscriptionPeriod',
    'gracePeriod',
    'reminderBeforePeriod',
    'costPerAppUnit',
    'costPerNamespaceUnit',
  ] as const;
  for (const name of numbers) {
    const value = numberOf(form[name]);
    if (value !== undefined) body[name] = value;
  }
  // Nullable Entitle fields: empty means null on an edit (cleared), absent on a create.
  const cleared = existing === undefined ? undefined : null;
  body.productId = numberOf(form.productId) ?? cleared;
  body.entitledCapacity = numberOf(form.entitledCapacity) ?? cleared;
  body.capacityUnit = form.capacityUnit === '' ? cleared : form.capacityUnit;
  // A date left as it was keeps its time of day; a new date means midnight UTC.
  body.expiresAt =
    form.expiresAt === ''
      ? cleared
      : existing?.expiresAt?.slice(0, 10) === form.expiresAt
        ? existing.expiresAt
        : `${form.expiresAt}T00:00:00.000Z`;
  for (const name of ['marketplace', 'purchaseOrderNumber', 'licenseSN'] as const) {
    if (form[name] !== '') body[name] = form[name];
  }
  for (const name of ['customerProfileID', 'paymentProfileID'] as const) {
    if (form[name] !== '' || existing !== undefined) body[name] = form[name];
  }
  if (existing !== undefined) {
    body.id = existing.id;
    // Billing details the form does not edit: a PUT clears what it omits, so they go back as read.
    if (existing.paymentFirstName !== undefined) body.paymentFirstName = existing.paymentFirstName;
    if (existing.paymentLastName !== undefined) body.paymentLastName = existing.paymentLastName;
    if (existing.paymentAddress !== undefined) body.paymentAddress = existing.paymentAddress;
    if (existing.paymentExpiry !== undefined) body.paymentExpiry = existing.paymentExpiry;
  }
  return Object.fromEntries(Object.entries(body).filter(([, value]) => value !== undefined));
}

/** Create (POST) or edit (PUT with If-Match) a subscription; the API's reasons sit by each field. */
export function SubscriptionFormPage({ id }: { id?: string }) {
  const path = id === undefined ? undefined : `/v1/subscriptions/${encodeURIComponent(id)}`;
  const loaded = useApi(
    async (signal) => ({
      subscription:
        path === undefined ? undefined : await get<Subscription>(path, undefined, signal),
      products: await getAll<Product>('/v1/products', { include: 'id,slug,name' }),
    }),
    path ?? 'new',
  );
  const [form, setForm] = useState<Form | undefined>(undefined);
  const action = useAction();
  const existing = loaded.data?.subscription;
  const current = form ?? (existing === undefined ? EMPTY : formOf(existing));

  if (loaded.loading) return <Loading />;
  if (loaded.data === undefined || (path !== undefined && existing === undefined)) {
    return <ProblemView error={loaded.error} />;
  }

  const set = (name: keyof Form) => (event: { target: { value: string } }) => {
    setForm({ ...current, [name]: event.target.value });
  };
  const reason = (name: string) => action.error?.fieldReason(name);

  const submit = async (event: SyntheticEvent) => {
    event.preventDefault();
    const body = bodyOf(current, existing);
    const saved = await action.run(() =>
      path === undefined || existing === undefined
        ? request<Subscription>('/v1/subscriptions', { method: 'POST', body })
        : request<Subscription>(path, {
            method: 'PUT',
            body,
            headers: { 'if-match': `"${String(existing.revision)}"` },
          }),
    );
    if (saved !== undefined) navigate(`/subscriptions/${saved.data.id}`);
  };

  const input = (
    name: keyof Form,
    label: string,
    hint?: string,
    inputMode?: 'numeric' | 'decimal',
  ) => (
    <Field
      label={label}
      name={name}
      reason={reason(name)}
      {...(hint === undefined ? {} : { hint })}
    >
      <input
        id={`f-${name}`}
        name={name}
        value={current[name]}
        inputMode={inputMode}
        aria-invalid={reason(name) !== undefined}
        aria-describedby={reason(name) !== undefined ? `f-${name}-error` : undefined}
        onChange={set(name)}
      />
    </Field>
  );
  const select = (name: keyof Form, label: string, options: string[]) => (
    <Field label={label} name={name} reason={reason(name)}>
      <select id={`f-${name}`} name={name} value={current[name]} onChange={set(name)}>
        {options.map((o) => (
          <option key={o} value={o}>
            {o === '' ? '—' : o}
          </option>
        ))}
      </select>
    </Field>
  );

  return (
    <section>
      <h1>
        {existing === undefined
          ? 'New subscription'
          : `Edit subscription ${String(existing.subscriptionNumber)}`}
      </h1>
      <form className="form two-columns" onSubmit={(event) => void submit(event)} noValidate>
        {select('terms', 'Terms', ['trial', 'paid'])}
        {input('accounts', 'Accounts', 'Comma-separated account ids; the first is billed.')}
        <Field label="Product" name="productId" reason={reason('productId')}>
          <select
            id="f-productId"
            name="productId"
            value={current.productId}
            onChange={set('productId')}
          >
            <option value="">—</option>
            {loaded.data.products.map((p) => (
              <option key={p.id} value={p.id}>
                {p.name} ({p.slug})
              </option>
            ))}
          </select>
        </Field>
        {input('entitledCapacity', 'Entitled capacity', '-1 is unlimited.', 'decimal')}
        {select('capacityUnit', 'Capacity unit', UNITS)}
        <Field label="Expires (UTC date)" name="expiresAt" reason={reason('expiresAt')}>
          <input
            id="f-expiresAt"
            name="expiresAt"
            type="date"
            value={current.expiresAt}
            onChange={set('expiresAt')}
          />
        </Field>
        {input('appLimit', 'App limit', '-1 is no limit.', 'numeric')}
        {input('namespaceLimit', 'Namespace limit', '-1 is no limit.', 'numeric')}
        {input('subscriptionPeriod', 'Subscription period (days)', undefined, 'numeric')}
        {input('gracePeriod', 'Grace period (days)', undefined, 'numeric')}
        {input('reminderBeforePeriod', 'Reminder before (days)', undefined, 'numeric')}
        {select('onboardStatus', 'Onboard status', ONBOARD)}
        {input('costPerAppUnit', 'Cost per app (USD)', undefined, 'decimal')}
        {input('costPerNamespaceUnit', 'Cost per namespace (USD)', undefined, 'decimal')}
        {select('marketplace', 'Marketplace', MARKETPLACES)}
        {input('purchaseOrderNumber', 'Purchase order number')}
        {input('licenseSN', 'License SN')}
        {input('customerProfileID', 'Customer profile id')}
        {input('paymentProfileID', 'Payment profile id')}
        <div className="span-all">
          <ProblemView error={action.error} />
          <div className="form-actions">
            <button type="submit" className="primary" disabled={action.busy}>
              {action.busy ? 'Saving…' : 'Save'}
            </button>
            <Link to={existing === undefined ? '/subscriptions' : `/subscriptions/${existing.id}`}>
              Cancel
            </Link>
          </div>
        </div>
      </form>
    </section>
  );
}
