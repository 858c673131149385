/**
 * The dashboard in a real browser (Debian's Chromium through playwright-core) against a real
 * listening server with a seeded SQLite database (this suite runs on SQLite only: it tests the
 * browser side, the API suites cover both databases). Needs `npm run build` first (dist/ui).
 * Tests run in order and share one page, as a person would click through.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { json } from '../helpers/harness.js';
import {
  at,
  checkPrerequisites,
  launch,
  record,
  seed,
  startServer,
  type Browser,
  type Seeded,
  type Server,
} from './helpers.js';

interface Page<T> {
  items: T[];
  metadata: { continue?: string; count?: number };
}
interface MetricCompliance {
  metricId: number;
  entitled: number;
  used: number;
}
interface Compliance {
  overallComplianceStatus: string;
  products: { slug: string; metrics: MetricCompliance[] }[];
}

/** The dashboard's quantity format (ui/src/format.ts), to compare the API's numbers with the page. */
function quantity(value: number): string {
  if (value < 0) return 'Unlimited';
  return Number.isInteger(value)
    ? value.toLocaleString('en-US')
    : value.toLocaleString('en-US', { maximumFractionDigits: 2 });
}

let server: Server;
let browser: Browser;
let seeded: Seeded;

async function api<T>(url: string): Promise<T> {
  const response = await server.harness.request({ method: 'GET', url });
  expect(response.statusCode, response.body).toBe(200);
  return json<T>(response);
}

describe('dashboard', { timeout: 60_000 }, () => {
  beforeAll(async () => {
    checkPrerequisites();
    server = await startServer();
    seeded = await seed(server.harness);
    browser = await launch();
    browser.page.setDefaultTimeout(10_000);
  }, 60_000);

  afterEach(async (context) => {
    await record(browser, context.task.name, context.task.result?.state === 'fail');
    // Every test ends without console errors (expected 4xx responses are declared per test).
    expect(browser.errors).toEqual([]);
  });

  afterAll(async () => {
    await browser.close();
    await server.close();
  });

  test('sign in with a link: the token is read once and removed from the address bar', async () => {
    const { page } = browser;
    await page.goto(`${server.url}/ui/`);
    await expect(
      page.getByRole('heading', { name: 'Sign in to Entitle' }).isVisible(),
    ).resolves.toBe(true);

    // A wrong token: the server's problem document is shown.
    browser.allowStatus(401);
    await page.getByLabel('Bearer token').fill('not-a-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').waitFor();
    expect(await page.getByRole('alert').innerText()).toContain('Invalid bearer token');

    await page.goto(`${server.url}/ui/#token=${server.harness.operator}`);
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    expect(page.url()).toBe(`${server.url}/ui/`);
    expect(await page.evaluate('sessionStorage.getItem("entitle.token")')).toBe(
      server.harness.operator,
    );

    // Sign out forgets it; pasting it signs in again.
    await page.getByRole('button', { name: 'Sign out' }).click();
    expect(await page.evaluate('sessionStorage.getItem("entitle.token")')).toBeNull();
    await page.getByLabel('Bearer token').fill(server.harness.operator);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
  });

  test('overview: statuses, expiring counts and capacity are the API’s numbers', async () => {
    const { page } = browser;
    await page.goto(`${server.url}/ui/`);
    await page.locator('section.overview[data-ready="true"]').waitFor();

    for (const account of ['acme', 'globex', 'initech']) {
      const compliance = await api<Compliance>(`/v1/accounts/${account}/compliance`);
      const shown = await page
        .locator(`.status-list li[data-account="${account}"] [data-testid="overall-status"]`)
        .innerText();
      expect(shown.replace(/ /g, '_')).toBe(compliance.overallComplianceStatus);
      for (const product of compliance.products) {
        for (const metric of product.metrics) {
          const bar = page.locator(
            `[data-testid="capacity"][data-account="${account}"][data-product="${product.slug}"][data-metric="${String(metric.metricId)}"]`,
          );
          expect(await bar.getByTestId('used').innerText()).toBe(quantity(metric.used));
          expect(await bar.getByTestId('entitled').innerText()).toBe(quantity(metric.entitled));
        }
      }
    }
    const statuses = await page.locator('[data-testid="overall-status"]').allInnerTexts();
    expect(statuses).toEqual(['VALID', 'NON COMPLIANT', 'WARNING']);

    const window = `expiresAt gte '${at(0)}' and expiresAt lt '${at(90)}'`;
    const licenses = await api<Page<unknown>>(
      `/v1/licenses?count=true&limit=1&filter=${encodeURIComponent(window)}`,
    );
    const subscriptions = await api<Page<unknown>>(
      `/v1/subscriptions?count=true&limit=1&filter=${encodeURIComponent(`${window} and status eq 'active'`)}`,
    );
    expect(await page.getByTestId('expiring-licenses').innerText()).toBe(
      String(licenses.metadata.count),
    );
    expect(await page.getByTestId('expiring-subscriptions').innerText()).toBe(
      String(subscriptions.metadata.count),
    );
    expect(subscriptions.metadata.count).toBe(1);
    // The usage chart is drawn (uPlot canvas) and the recent events are listed.
    await page.locator('.chart canvas').first().waitFor();
    expect(await page.locator('ol.events li').count()).toBe(10);
  });

  test('licenses: filter, sort, page with continue tokens, open a row with the keyboard', async () => {
    const { page } = browser;
    await page.getByRole('link', { name: 'Licenses', exact: true }).click();
    const summary = page.locator('.pager .muted');
    await summary.filter({ hasText: 'of' }).waitFor();
    expect(await summary.innerText()).toBe(`25 shown of ${String(seeded.licenses)}`);

    await page.getByRole('button', { name: 'Next page »' }).click();
    await page.waitForURL(/continue=/);
    await summary.filter({ hasText: `${String(seeded.licenses - 25)} shown` }).waitFor();
    expect(await page.getByRole('button', { name: 'Next page »' }).isDisabled()).toBe(true);
    await page.goBack();
    await summary.filter({ hasText: '25 shown' }).waitFor();

    await page.getByLabel('Filter').fill("accountId eq 'globex' and kind eq 'node'");
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.waitForURL(/filter=/);
    const expected = await api<Page<{ serialNumber: number }>>(
      `/v1/licenses?count=true&limit=25&orderBy=serialNumber%20desc&filter=${encodeURIComponent("accountId eq 'globex' and kind eq 'node'")}`,
    );
    await page.getByRole('button', { name: /^Serial/ }).click();
    await page.getByRole('button', { name: /^Serial/ }).click();
    await page.waitForURL(/orderBy=serialNumber\+desc|orderBy=serialNumber%20desc/);
    await summary.filter({ hasText: `of ${String(expected.metadata.count)}` }).waitFor();
    const serials = await page.locator('tbody tr td:first-child').allInnerTexts();
    expect(serials).toEqual(expected.items.map((l) => String(l.serialNumber)));
    expect(await page.locator('tbody tr td:nth-child(2)').allInnerTexts()).toEqual(
      serials.map(() => 'globex'),
    );

    // A bad filter: the API's invalidParams are shown.
    browser.allowStatus(400);
    await page.getByLabel('Filter').fill("colour eq 'red'");
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.getByRole('alert').filter({ hasText: 'unknown field' }).waitFor();

    // Search by serial, then Enter on the focused row opens the license.
    await page.getByLabel('Filter').fill('');
    await page.getByLabel('Search').fill(String(serials[0]));
    await page.getByRole('button', { name: 'Apply' }).click();
    await summary.filter({ hasText: '1 shown of 1' }).waitFor();
    await page.locator('tbody tr').first().focus();
    await page.keyboard.press('Enter');
    await page
      .getByRole('heading', { name: new RegExp(`License #${String(serials[0])}`) })
      .waitFor();
    await page.getByRole('heading', { name: 'History' }).waitFor();
    expect(await page.locator('table code').first().innerText()).toBe('license.created');
  });

  test('import keys: one result per key', async () => {
    const { page } = browser;
    await page.goto(`${server.url}/ui/licenses/import`);
    await page.getByLabel('Account', { exact: true }).selectOption('acme');
    const unknownHpKey = ['ABCDEFGHIJKLM', 'NOPQRSTUVWXYZ', 'ABCDEFGHIJKL2', 'ABCDEFGHIJKL3'].join(
      '-',
    );
    await page
      .getByLabel('Keys', { exact: true })
      .fill([seeded.acmeKey, 'abcd efgh', unknownHpKey].join('\n'));
    await page.getByRole('button', { name: 'Import 3 keys' }).click();
    await page.getByTestId('import-summary').waitFor();
    const results = await page.locator('tbody tr td:nth-child(3)').allInnerTexts();
    expect(results).toEqual([
      'already installed',
      'License key format not supported',
      'Unrecognized License',
    ]);
    expect(await page.getByTestId('import-summary').innerText()).toBe('1 of 3 keys imported.');
    // The unrecognized key is now an invalid license of acme, as the API says.
    const kept = await api<{ state: string; accountId: string }>(
      `/v1/licenses/lookup?key=${encodeURIComponent(unknownHpKey)}`,
    );
    expect(kept).toMatchObject({ state: 'invalid', accountId: 'acme' });

    // The same keys again from a CSV file with a header: importing twice is harmless.
    await page.getByLabel('Or a CSV file').setInputFiles({
      name: 'keys.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from(`key,note\n"${seeded.acmeKey}",capacity\n${unknownHpKey},kept\n`),
    });
    await page.getByRole('button', { name: 'Import 2 keys' }).click();
    await page.getByTestId('import-summary').filter({ hasText: 'of 2 keys' }).waitFor();
    expect(await page.locator('tbody tr td:nth-child(3)').allInnerTexts()).toEqual([
      'already installed',
      'already installed',
    ]);
  });

  test('issue a license (the API names the missing account), download its certificate, revoke it', async () => {
    const { page } = browser;
    browser.allowStatus(400);
    await page.goto(`${server.url}/ui/licenses`);
    await page.getByRole('link', { name: 'Issue a license' }).click();
    await page.getByLabel('Product').selectOption({ label: 'Cloud Volumes ONTAP (cvo)' });
    await page.getByLabel('Kind').selectOption('capacity');
    await page.getByLabel('Metric').selectOption({ label: 'Provisioned capacity (TiB)' });
    await page.getByLabel('Quantity').fill('3');
    await page.getByRole('button', { name: 'Issue' }).click();
    const accountError = page.locator('[data-field="accountId"] .field-error');
    await accountError.waitFor();
    expect(await accountError.innerText()).toMatch(/pattern/);

    await page.getByLabel('Account').selectOption('initech');
    await page.getByRole('button', { name: 'Issue' }).click();
    const heading = page.getByRole('heading', { name: /^License #\d+/ });
    await heading.waitFor();
    const serial = /#(\d+)/.exec(await heading.innerText())?.[1] ?? '';
    const issued = await api<{ accountId: string; quantity: number; metricId: number }>(
      `/v1/licenses/${serial}`,
    );
    expect(issued).toMatchObject({ accountId: 'initech', quantity: 3, metricId: 1 });

    const download = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Download certificate' }).click();
    expect((await download).suggestedFilename()).toBe(`license-${serial}.jws`);

    page.once('dialog', (dialog) => void dialog.accept());
    await page.getByRole('button', { name: 'Revoke' }).click();
    await page.getByRole('heading', { name: /revoked/ }).waitFor();
    expect(await api<{ state: string }>(`/v1/licenses/${serial}`)).toMatchObject({
      state: 'revoked',
    });
  });

  test('subscription: an edit the API refuses shows its reason by the field, then saves', async () => {
    const { page } = browser;
    browser.allowStatus(400);
    await page.goto(`${server.url}/ui/subscriptions`);
    await page.locator('tbody tr').first().focus();
    await page.keyboard.press('Enter');
    await page.getByRole('link', { name: 'Edit' }).click();
    await page.getByLabel('App limit').fill('-5');
    await page.getByRole('button', { name: 'Save' }).click();

    const fieldError = page.locator('[data-field="appLimit"] .field-error');
    await fieldError.waitFor();
    const direct = await server.harness.request({
      method: 'PUT',
      url: `/v1/subscriptions/${seeded.subscriptionId}`,
      body: { type: 'application/astra-subscription', version: '1.2', appLimit: -5 },
    });
    expect(direct.statusCode).toBe(400);
    const reason = json<{ invalidFields: { name: string; reason: string }[] }>(
      direct,
    ).invalidFields.find((f) => f.name === 'appLimit')?.reason;
    expect(reason).toBeDefined();
    expect(await fieldError.innerText()).toBe(reason);

    await page.getByLabel('App limit').fill('10');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.waitForURL(new RegExp(`/ui/subscriptions/${seeded.subscriptionId}$`));
    const saved = await api<{ appLimit: number; revision: number }>(
      `/v1/subscriptions/${seeded.subscriptionId}`,
    );
    expect(saved.appLimit).toBe(10);
    await page.locator('dd', { hasText: /^10$/ }).first().waitFor();
  });

  test('subscription: cancel shows the computed charge first, then records it', async () => {
    const { page } = browser;
    const preview = await api<{ amountMicros: number }>(
      `/v1/subscriptions/${seeded.subscriptionId}/cancel-preview`,
    );
    expect(preview.amountMicros).toBe(4_550_000);
    await page.getByRole('button', { name: 'Cancel subscription…' }).click();
    expect(await page.getByTestId('preview-amount').innerText()).toBe('$4.55');
    await page.getByRole('button', { name: 'Confirm cancellation' }).click();
    await page.getByRole('heading', { name: /Subscription \d+ inactive/ }).waitFor();
    const charges = await api<Page<{ amountMicros: number; status: string }>>(
      `/v1/subscriptions/${seeded.subscriptionId}/charges`,
    );
    expect(charges.items).toMatchObject([{ amountMicros: 4_550_000, status: 'pending' }]);
    await page.locator('tbody tr', { hasText: '$4.55' }).waitFor();
  });
  test('subscription: create (the API names a bad account), then delete it', async () => {
    const { page } = browser;
    browser.allowStatus(400);
    await page.goto(`${server.url}/ui/subscriptions`);
    await page.getByRole('link', { name: 'New subscription' }).click();
    await page.getByLabel('Terms').selectOption('trial');
    await page.getByLabel('Accounts').fill('acme, nobody');
    await page.getByRole('button', { name: 'Save' }).click();
    const accountsError = page.locator('[data-field="accounts"] .field-error');
    await accountsError.waitFor();
    expect(await accountsError.innerText()).toBe('1: no such account: nobody');

    await page.getByLabel('Accounts').fill('initech');
    await page.getByRole('button', { name: 'Save' }).click();
    const heading = page.getByRole('heading', { name: /^Subscription \d+ active trial/ });
    await heading.waitFor();
    const id = /\/ui\/subscriptions\/([0-9a-f-]{36})$/.exec(page.url())?.[1] ?? '';
    expect(
      await api<{ accounts: string[]; terms: string }>(`/v1/subscriptions/${id}`),
    ).toMatchObject({
      accounts: ['initech'],
      terms: 'trial',
    });

    await page.getByRole('button', { name: 'Delete…' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete' }).click();
    await page.waitForURL(/\/ui\/subscriptions$/);
    const gone = await server.harness.request({ method: 'GET', url: `/v1/subscriptions/${id}` });
    expect(gone.statusCode).toBe(404);
  });
  test("a viewer's dashboard shows only its accounts and no operator actions", async () => {
    const { page } = browser;
    const viewer = await server.harness.token('viewer', ['globex'], { subject: 'vera@globex' });
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.goto(`${server.url}/ui/#token=${viewer}`);
    await page.locator('section.overview[data-ready="true"]').waitFor();
    expect(await page.locator('.status-list li').count()).toBe(1);
    expect(await page.locator('.status-list li').getAttribute('data-account')).toBe('globex');
    expect(await page.getByText('vera@globex · viewer').isVisible()).toBe(true);

    await page.getByRole('link', { name: 'Licenses', exact: true }).click();
    await page.locator('.pager .muted').filter({ hasText: 'of' }).waitFor();
    const globex = await api<Page<unknown>>(
      `/v1/licenses?count=true&limit=1&filter=${encodeURIComponent("accountId eq 'globex'")}`,
    );
    expect(await page.locator('.pager .muted').innerText()).toBe(
      `${String(Math.min(25, globex.metadata.count ?? 0))} shown of ${String(globex.metadata.count)}`,
    );
    expect(await page.getByRole('link', { name: 'Issue a license' }).count()).toBe(0);
    expect(await page.getByRole('link', { name: 'Import keys' }).count()).toBe(0);
  });
});
