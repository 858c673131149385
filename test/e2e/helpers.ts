/**
 * End-to-end helpers: a real listening server (the test harness on SQLite, plus `listen`), the
 * built dashboard from dist/ui, and Debian's Chromium driven by playwright-core.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type ConsoleMessage, type Page } from 'playwright-core';
import { DEFAULT_UI_DIR } from '../../src/http/ui.js';
import { createHarness, json, T0, type Harness } from '../helpers/harness.js';

export const CHROMIUM = '/usr/bin/chromium';
export const RESULTS_DIR = 'test-results';
const DAY = 86_400_000;

/** A date-time `days` after the harness clock's T0. */
export function at(days: number): string {
  return new Date(Date.parse(T0) + days * DAY).toISOString();
}

/** Fails with what to do, rather than with a browser timeout, when a prerequisite is missing. */
export function checkPrerequisites(): void {
  if (!existsSync(join(DEFAULT_UI_DIR, 'index.html'))) {
    throw new Error(
      `The dashboard is not built (${DEFAULT_UI_DIR}index.html is missing): run \`npm run build\` before the e2e tests.`,
    );
  }
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `${CHROMIUM} is missing: install Debian's chromium package (apt-get install chromium).`,
    );
  }
}

export interface Server {
  harness: Harness;
  url: string;
  close(): Promise<void>;
}

/** The harness's app listening on 127.0.0.1 on a free port. */
export async function startServer(): Promise<Server> {
  const harness = await createHarness();
  await harness.app.listen({ host: '127.0.0.1', port: 0 });
  const address = harness.app.server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  return {
    harness,
    url: `http://127.0.0.1:${String(address.port)}`,
    close: () => harness.close(),
  };
}

export interface Browser {
  context: BrowserContext;
  page: Page;
  /** Console errors and uncaught page errors seen so far (expected HTTP errors filtered out). */
  errors: string[];
  /** Declares that the browser will log a failed request with this status (a 4xx the test provokes). */
  allowStatus(status: number): void;
  close(): Promise<void>;
}

/**
 * One Chromium per test file with a fresh profile, its clock fixed at the harness's T0 (unless
 * `fixClock: false`) so that "the next 90 days" and the usage window match the server's clock.
 */
export async function launch(options: { fixClock?: boolean } = {}): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), 'entitle-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
      '--disable-sync',
    ],
    viewport: { width: 1280, height: 800 },
    timezoneId: 'UTC',
    locale: 'en-US',
  });
  // The fake clock also fakes `performance`: a timing measurement runs on the real one.
  if (options.fixClock !== false) await context.clock.setFixedTime(new Date(T0));
  const page = context.pages()[0] ?? (await context.newPage());
  const errors: string[] = [];
  const allowed = new Set<number>();
  const onConsole = (message: ConsoleMessage) => {
    if (message.type() !== 'error') return;
    const text = message.text();
    const status = /status of (\d{3})/.exec(text)?.[1];
    if (status !== undefined && allowed.has(Number(status))) return;
    errors.push(text);
  };
  page.on('console', onConsole);
  page.on('pageerror', (error) => errors.push(`pageerror: ${error.message}`));
  mkdirSync(RESULTS_DIR, { recursive: true });
  await context.tracing.start({ screenshots: true, snapshots: true });
  return {
    context,
    page,
    errors,
    allowStatus: (status) => allowed.add(status),
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** A file name from a test name. */
export function slug(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
}

/**
 * After each test: a screenshot always; a trace of the test only when it failed (kept with the
 * screenshot under test-results/).
 */
export async function record(browser: Browser, name: string, failed: boolean): Promise<void> {
  await browser.page.screenshot({ path: join(RESULTS_DIR, `${slug(name)}.png`), fullPage: true });
  if (failed) {
    await browser.context.tracing.stopChunk({ path: join(RESULTS_DIR, `${slug(name)}.trace.zip`) });
  } else {
    await browser.context.tracing.stopChunk();
  }
  await browser.context.tracing.startChunk();
}

export interface Seeded {
  subscriptionId: string;
  acmeKey: string;
  licenses: number;
}

async function ok(
  harness: Harness,
  method: 'POST' | 'PUT',
  url: string,
  body: unknown,
): Promise<Record<string, unknown>> {
  const response = await harness.request({ method, url, body });
  if (response.statusCode >= 300) throw new Error(`${method} ${url}: ${response.body}`);
  return json(response);
}

/**
 * Three accounts, two products, licenses (a page and more), usage and a paid subscription:
 * acme is VALID, globex uses more than it holds (NON_COMPLIANT), initech's only license expires
 * within its reminder window (WARNING).
 */
export async function seed(harness: Harness, extraLicenses = 0): Promise<Seeded> {
  for (const [id, name] of [
    ['acme', 'Acme Corp'],
    ['globex', 'Globex'],
    ['initech', 'Initech'],
  ] as const) {
    await harness.account(id, name);
  }
  await ok(harness, 'POST', '/v1/products', {
    id: 1,
    slug: 'cvo',
    name: 'Cloud Volumes ONTAP',
    group: 'CVO',
    metrics: [{ id: 1, name: 'Provisioned capacity', unit: 'TiB' }],
  });
  await ok(harness, 'POST', '/v1/products', {
    id: 2,
    slug: 'astra',
    name: 'Astra Control',
    metrics: [
      { id: 1, name: 'Applications', unit: 'apps' },
      { id: 2, name: 'Namespaces', unit: 'namespaces' },
    ],
  });
  const acme = await ok(harness, 'POST', '/v1/licenses', {
    accountId: 'acme',
    product: 'cvo',
    kind: 'capacity',
    term: 'SUBSCRIPTION',
    metricId: 1,
    quantity: 100,
    startsAt: at(-60),
    expiresAt: at(45),
  });
  await ok(harness, 'POST', '/v1/licenses', {
    accountId: 'globex',
    product: 'cvo',
    kind: 'capacity',
    term: 'PERPETUAL',
    metricId: 1,
    quantity: 10,
  });
  await ok(harness, 'POST', '/v1/licenses', {
    accountId: 'initech',
    product: 'cvo',
    kind: 'capacity',
    term: 'SUBSCRIPTION',
    metricId: 1,
    quantity: 5,
    expiresAt: at(10),
  });
  for (const [metricId, quantity] of [
    [1, 10],
    [2, 20],
  ] as const) {
    await ok(harness, 'POST', '/v1/licenses', {
      accountId: 'acme',
      product: 'astra',
      kind: 'capacity',
      term: 'PERPETUAL',
      metricId,
      quantity,
    });
  }
  // Node licenses: more than one page of the licenses table (25 rows).
  const nodes = 30 + extraLicenses;
  for (let start = 0; start < nodes; start += 1000) {
    const items = Array.from({ length: Math.min(1000, nodes - start) }, (_, i) => ({
      accountId: ['acme', 'globex'][(start + i) % 2] ?? 'acme',
      product: 'astra',
      kind: 'node',
      term: 'SUBSCRIPTION',
      quantity: 1,
      expiresAt: at(35 + ((start + i) % 300)),
    }));
    await ok(harness, 'POST', '/v1/licenses/batch', { items });
  }
  const instance = await harness.instance('acme');
  const globexInstance = await harness.instance('globex');
  await ok(harness, 'POST', '/v1/usage', {
    records: [
      {
        id: 'g-acme',
        account: 'acme',
        instance,
        product: 'cvo',
        metric: 1,
        kind: 'gauge',
        value: 40,
        at: at(-2),
      },
      {
        id: 'g-globex',
        account: 'globex',
        instance: globexInstance,
        product: 'cvo',
        metric: 1,
        kind: 'gauge',
        value: 25,
        at: at(-1),
      },
      ...[3, 2, 1].map((days, i) => ({
        id: `apps-${String(i)}`,
        account: 'acme',
        product: 'astra',
        metric: 1,
        kind: 'delta',
        value: 1,
        at: at(-days),
      })),
      {
        id: 'ns-0',
        account: 'acme',
        product: 'astra',
        metric: 2,
        kind: 'delta',
        value: 9.2,
        at: at(-2),
      },
    ],
  });
  // Created ten days ago, so that its period holds the usage above and cancelling charges it.
  harness.clock.set(at(-10));
  const subscription = await ok(harness, 'POST', '/v1/subscriptions', {
    type: 'application/astra-subscription',
    version: '1.2',
    terms: 'paid',
    accounts: ['acme'],
    productId: 2,
    costPerAppUnit: 1.5,
    costPerNamespaceUnit: 0.005,
    expiresAt: at(60),
  });
  harness.clock.set(at(0));
  return {
    subscriptionId: String(subscription.id),
    acmeKey: String(acme.key),
    licenses: 5 + nodes,
  };
}
