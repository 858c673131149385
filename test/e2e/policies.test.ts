/**
 * The dashboard's policy and lease pages in a real browser (Debian's Chromium through
 * playwright-core) against a real listening server with a seeded SQLite database, as
 * test/e2e/dashboard.test.ts does. Needs `npm run build` first (dist/ui). Tests run in order and
 * share one page: a policy is created, edited, bound to a license, leases come and go.
 */
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { json, T0 } from '../helpers/harness.js';
import {
  checkPrerequisites,
  launch,
  record,
  RESULTS_DIR,
  seed,
  startServer,
  type Browser,
  type Server,
} from './helpers.js';

interface Page<T> {
  items: T[];
}
interface Policy {
  id: string;
  name: string;
  productId: number;
  durationDays: number | null;
  floating: boolean;
  seatLimit: number | null;
  overage: string;
  leaseSeconds: number;
  heartbeatSeconds: number | null;
  description: string;
  revision: number;
}
interface Lease {
  id: string;
  instanceId: string;
  alive: boolean;
}

let server: Server;
let browser: Browser;
let licenseId: string;
let policy: Policy;
const instances: string[] = [];

/** The harness clock's T0 plus seconds, as a Date. */
const after = (seconds: number) => new Date(Date.parse(T0) + seconds * 1000);

async function api<T>(
  method: 'GET' | 'POST' | 'PATCH',
  url: string,
  body?: unknown,
  headers?: Record<string, string>,
): Promise<T> {
  const response = await server.harness.request({
    method,
    url,
    ...(body === undefined ? {} : { body }),
    ...(headers === undefined ? {} : { headers }),
  });
  expect(response.statusCode, response.body).toBeLessThan(300);
  return json<T>(response);
}

describe('dashboard: policies and leases', { timeout: 40_000 }, () => {
  beforeAll(async () => {
    checkPrerequisites();
    server = await startServer();
    await seed(server.harness);
    const node = await api<Page<{ id: string }>>(
      'GET',
      `/v1/licenses?limit=1&filter=${encodeURIComponent("accountId eq 'acme' and kind eq 'node'")}`,
    );
    licenseId = node.items[0]?.id ?? '';
    for (let i = 0; i < 2; i++) instances.push(await server.harness.instance('acme'));
    browser = await launch();
    browser.page.setDefaultTimeout(10_000);
  }, 60_000);

  afterEach(async (context) => {
    await record(browser, `policies ${context.task.name}`, context.task.result?.state === 'fail');
    // Every test ends without console errors (expected 4xx responses are declared per test).
    expect(browser.errors).toEqual([]);
  });

  afterAll(async () => {
    await browser.close();
    await server.close();
  });

  test('create a policy: the API names the missing duration, then it saves', async () => {
    const { page } = browser;
    browser.allowStatus(400);
    await page.goto(`${server.url}/ui/#token=${server.harness.operator}`);
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    await page.getByRole('link', { name: 'Policies', exact: true }).click();
    await page.getByText('No policy matches.').waitFor();
    await page.getByRole('link', { name: 'New policy' }).click();

    await page.getByLabel('Name', { exact: true }).fill('Floating pool');
    await page
      .getByLabel('Product', { exact: true })
      .selectOption({ label: 'Astra Control (astra)' });
    await page.getByLabel('Term', { exact: true }).selectOption('SUBSCRIPTION');
    await page.getByLabel('Seat limit', { exact: true }).fill('2');
    await page.getByLabel('Floating', { exact: true }).check();
    await page.getByLabel('Lease (seconds)', { exact: true }).fill('600');
    await page.getByLabel('Heartbeat (seconds)', { exact: true }).fill('60');
    await page.getByLabel('Overage', { exact: true }).selectOption('1.5X');
    await page.getByRole('button', { name: 'Save' }).click();

    // The API's reason, under the field it names.
    const durationError = page.locator('[data-field="durationDays"] .field-error');
    await durationError.waitFor();
    const direct = await server.harness.request({
      method: 'POST',
      url: '/v1/policies',
      body: { product: 2, name: 'x', term: 'SUBSCRIPTION' },
    });
    expect(direct.statusCode).toBe(400);
    const reason = json<{ invalidFields: { name: string; reason: string }[] }>(
      direct,
    ).invalidFields.find((f) => f.name === 'durationDays')?.reason;
    expect(reason).toBeDefined();
    expect(await durationError.innerText()).toBe(reason);
    await page.screenshot({
      path: join(RESULTS_DIR, 'policies-form-field-error.png'),
      fullPage: true,
    });

    await page.getByLabel('Duration (days)', { exact: true }).fill('365');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('heading', { name: /^Policy Floating pool/ }).waitFor();
    const list = await api<Page<Policy>>('GET', '/v1/policies');
    expect(list.items).toHaveLength(1);
    policy = list.items[0] ?? policy;
    expect(policy).toMatchObject({
      name: 'Floating pool',
      productId: 2,
      durationDays: 365,
      floating: true,
      seatLimit: 2,
      overage: '1.5X',
      leaseSeconds: 600,
      heartbeatSeconds: 60,
      revision: 1,
    });
    expect(page.url()).toBe(`${server.url}/ui/policies/${policy.id}`);

    // The table lists it with its terms.
    await page.getByRole('link', { name: 'Back to policies' }).click();
    const row = page.locator('tbody tr', { hasText: 'Astra Control' });
    await row.waitFor();
    expect(await row.locator('td').allInnerTexts()).toEqual([
      'Floating pool',
      'Astra Control (astra)',
      'SUBSCRIPTION · 365 d',
      '2',
      'floating',
      '1.5X',
      '60 s',
      '1',
      '2026-11-23',
    ]);
    // Sorting goes to the API as `orderBy`, kept in the URL.
    await page.getByRole('button', { name: /^Name/ }).click();
    await page.waitForURL(/orderBy=name/);
    await page.locator('th[aria-sort="ascending"]', { hasText: 'Name' }).waitFor();
  });

  test('edit with If-Match: a stale revision says so and reloads, then the edit saves', async () => {
    const { page } = browser;
    browser.allowStatus(409);
    await page.locator('tbody tr', { hasText: 'Floating pool' }).focus();
    await page.keyboard.press('Enter');
    await page.getByRole('link', { name: 'Edit' }).click();
    await page.getByLabel('Seat limit', { exact: true }).fill('3');

    // Someone else changes it meanwhile.
    await api(
      'PATCH',
      `/v1/policies/${policy.id}`,
      { description: 'changed elsewhere' },
      {
        'if-match': '"1"',
      },
    );
    await page.getByRole('button', { name: 'Save' }).click();
    // The notice names the revision read again, and the form shows that version.
    await page.getByTestId('stale').filter({ hasText: 'revision 2' }).waitFor();
    // The form fills in as the re-read lands: poll, the notice may show a render earlier.
    await expect
      .poll(() => page.getByLabel('Description', { exact: true }).inputValue())
      .toBe('changed elsewhere');
    await expect.poll(() => page.getByLabel('Seat limit', { exact: true }).inputValue()).toBe('2');

    await page.getByLabel('Seat limit', { exact: true }).fill('3');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.waitForURL(new RegExp(`/ui/policies/${policy.id}$`));
    policy = await api<Policy>('GET', `/v1/policies/${policy.id}`);
    expect(policy).toMatchObject({ seatLimit: 3, description: 'changed elsewhere', revision: 3 });
    await page.locator('dd', { hasText: /^3$/ }).first().waitFor();
  });

  test('bind it to a license with overrides; a bound policy cannot be deleted', async () => {
    const { page } = browser;
    browser.allowStatus(400);
    browser.allowStatus(409);
    await page.goto(`${server.url}/ui/licenses/${licenseId}`);
    await page.getByText('Not bound to a policy.').waitFor();
    await page.getByRole('button', { name: 'Bind to a policy…' }).click();
    await page.getByLabel('Policy', { exact: true }).selectOption({ label: 'Floating pool' });
    await page.getByLabel('Overrides (JSON)').fill('{"graceDays": -1}');
    await page.getByRole('button', { name: 'Bind', exact: true }).click();
    const overridesError = page.locator('[data-field="overrides"] .field-error');
    await overridesError.waitFor();
    expect(await overridesError.innerText()).toMatch(/^graceDays: /);

    await page.getByLabel('Overrides (JSON)').fill('{"graceDays": 7}');
    await page.getByRole('button', { name: 'Bind', exact: true }).click();
    await page.getByTestId('bound-policy').waitFor();
    expect(await page.getByTestId('bound-policy').innerText()).toBe(
      'Bound to Floating pool (revision 3), overriding graceDays.',
    );
    const bound = await api<{ policyId: string; terms: { graceDays: number; seatLimit: number } }>(
      'GET',
      `/v1/licenses/${licenseId}/policy`,
    );
    expect(bound).toMatchObject({ policyId: policy.id, terms: { graceDays: 7, seatLimit: 3 } });
    const effective = (term: string) =>
      page.locator(`[data-testid="effective-terms"] tr[data-term="${term}"] td`).allInnerTexts();
    expect(await effective('graceDays')).toEqual(['0', '7', '7']);
    expect(await effective('seatLimit')).toEqual(['3', '', '3']);

    // Floating: the leases panel, empty, with the seats and the overage ceiling ⌊3 × 1.5⌋.
    await page.getByText('No lease is checked out.').waitFor();
    expect(await page.getByTestId('seats-used').innerText()).toBe('0');
    expect(await page.getByTestId('seat-limit').innerText()).toBe('3');
    expect(await page.getByTestId('overage-ceiling').innerText()).toBe('4');

    await page.getByRole('link', { name: 'Floating pool' }).click();
    await page.getByRole('button', { name: 'Delete…' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete' }).click();
    await page.getByTestId('in-use').waitFor();
    expect(await page.getByRole('alert').filter({ hasText: '(409)' }).innerText()).toContain(
      'license',
    );
    expect((await api<Page<Policy>>('GET', '/v1/policies')).items).toHaveLength(1);
  });

  test('leases checked out through the API appear alive, tick, die, and check in from the UI', async () => {
    const { page } = browser;
    await page.goto(`${server.url}/ui/licenses/${licenseId}`);
    await page.getByText('No lease is checked out.').waitFor();
    const [first = '', second = ''] = instances;
    const leases: Lease[] = [];
    for (const instance of [first, second]) {
      const out = await api<{ lease: Lease; outcome: string }>(
        'POST',
        `/v1/licenses/${licenseId}/leases`,
        { instance },
      );
      expect(out.outcome).toBe('WITHIN');
      leases.push(out.lease);
    }

    // The next read (every 5 s) shows them, alive, with the browser's clock at the server's.
    await page.getByTestId('lease-status').nth(1).waitFor();
    expect(await page.getByTestId('lease-status').count()).toBe(2);
    expect(await page.getByTestId('lease-status').allInnerTexts()).toEqual(['alive', 'alive']);
    expect(await page.getByTestId('seats-used').innerText()).toBe('2');
    expect(await page.getByTestId('expires-in').allInnerTexts()).toEqual(['10m 00s', '10m 00s']);

    // The clocks tick every second from the data: 30 s later on the browser's clock.
    await browser.context.clock.setFixedTime(after(30));
    await page.getByTestId('expires-in').first().filter({ hasText: '9m 30s' }).waitFor();
    expect(await page.getByTestId('heartbeat-ago').allInnerTexts()).toEqual(['30s ago', '30s ago']);

    // The first instance heartbeats at +100 s; at +130 s the second one has missed two beats.
    server.harness.clock.set(after(100).toISOString());
    await api('POST', `/v1/licenses/${licenseId}/leases/${leases[0]?.id ?? ''}/heartbeat`);
    server.harness.clock.set(after(130).toISOString());
    await browser.context.clock.setFixedTime(after(130));
    const statusOf = (instance: string) =>
      page.locator('tbody tr', { hasText: instance }).getByTestId('lease-status');
    await statusOf(second).filter({ hasText: 'dead' }).waitFor();
    await statusOf(first).filter({ hasText: 'alive' }).waitFor();
    await page.getByTestId('seats-used').filter({ hasText: /^1$/ }).waitFor();
    const held = await api<Page<Lease>>('GET', `/v1/licenses/${licenseId}/leases`);
    expect(held.items.map((l) => [l.instanceId, l.alive])).toEqual(
      expect.arrayContaining([
        [first, true],
        [second, false],
      ]),
    );

    // Check the live one in from the page: the API has one lease fewer.
    await page.getByRole('button', { name: `Check in the lease of ${first}` }).click();
    await page.locator('tbody tr', { hasText: first }).waitFor({ state: 'detached' });
    const left = await api<Page<Lease>>('GET', `/v1/licenses/${licenseId}/leases`);
    expect(left.items.map((l) => l.instanceId)).toEqual([second]);
    expect(await page.getByTestId('seats-used').innerText()).toBe('0');
  });

  test('a viewer sees the policies, the binding and the leases, and no edit buttons', async () => {
    const { page } = browser;
    const viewer = await server.harness.token('viewer', ['acme'], { subject: 'vic@acme' });
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.goto(`${server.url}/ui/#token=${viewer}`);
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    await page.getByRole('link', { name: 'Policies', exact: true }).click();
    await page.locator('tbody tr', { hasText: 'Floating pool' }).waitFor();
    expect(await page.getByRole('link', { name: 'New policy' }).count()).toBe(0);
    await page.getByRole('link', { name: 'Floating pool' }).click();
    await page.getByRole('heading', { name: /^Policy Floating pool/ }).waitFor();
    expect(await page.getByRole('link', { name: 'Edit' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Delete…' }).count()).toBe(0);

    await page.goto(`${server.url}/ui/licenses/${licenseId}`);
    await page.getByTestId('bound-policy').waitFor();
    await page.getByTestId('lease-status').first().waitFor();
    expect(await page.getByTestId('lease-status').count()).toBe(1);
    expect(await page.getByRole('button', { name: /Bind|Change binding|Check in/ }).count()).toBe(
      0,
    );
  });
});
