/**
 * Time to first render of the overview with 10,000 licenses in the store, and the README's
 * screenshot of the overview. Not part of `npm test` (it seeds 10k licenses); run after
 * `npm run build`:
 *
 *     npx tsx test/e2e/measure-overview.ts [--runs 5] [--screenshot docs/images/overview.png]
 *
 * Prints, per run and as the median: first contentful paint and the moment the overview's data
 * is on screen (the `entitle:overview-ready` mark: compliance of every account, the 90-day
 * expiries), both from the start of navigation.
 */
import { parseArgs } from 'node:util';
import { checkPrerequisites, launch, seed, startServer } from './helpers.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    licenses: { type: 'string', default: '10000' },
    screenshot: { type: 'string' },
  },
});
const runs = Number(values.runs);
const target = Number(values.licenses);

function median(xs: number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

checkPrerequisites();

if (values.screenshot !== undefined) {
  // A readable picture: the small seed of the e2e tests.
  const server = await startServer();
  await seed(server.harness);
  const browser = await launch();
  await browser.page.goto(`${server.url}/ui/#token=${server.harness.operator}`);
  await browser.page.locator('section.overview[data-ready="true"]').waitFor();
  await browser.page.locator('.chart canvas').first().waitFor();
  await browser.page.screenshot({ path: values.screenshot, fullPage: true });
  console.log(`screenshot: ${values.screenshot}`);
  await browser.close();
  await server.close();
}

const server = await startServer();
const seededAt = performance.now();
const seeded = await seed(server.harness, Math.max(0, target - 35));
const count = await server.harness.request({
  method: 'GET',
  url: '/v1/licenses?limit=1&count=true',
});
console.log(
  `seeded ${String(seeded.licenses)} licenses in ${((performance.now() - seededAt) / 1000).toFixed(1)} s; the API counts ${String((JSON.parse(count.body) as { metadata: { count: number } }).metadata.count)}`,
);

const browser = await launch({ fixClock: false });
const { page } = browser;
// Sign in once; each run then loads the overview from a fresh navigation.
await page.goto(`${server.url}/ui/#token=${server.harness.operator}`);
await page.locator('section.overview[data-ready="true"]').waitFor({ timeout: 60_000 });

const paints: number[] = [];
const ready: number[] = [];
for (let run = 1; run <= runs; run++) {
  await page.goto(`${server.url}/ui/`, { waitUntil: 'commit' });
  await page.locator('section.overview[data-ready="true"]').waitFor({ timeout: 60_000 });
  const timing = await page.evaluate(`(() => ({
    fcp: performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? null,
    ready: performance.getEntriesByName('entitle:overview-ready')[0]?.startTime ?? null,
  }))()`);
  const { fcp, ready: done } = timing as { fcp: number | null; ready: number | null };
  if (fcp !== null) paints.push(fcp);
  if (done !== null) ready.push(done);
  console.log(
    `run ${String(run)}: first contentful paint ${fcp?.toFixed(0) ?? '?'} ms, overview data rendered ${done?.toFixed(0) ?? '?'} ms`,
  );
}
console.log(
  `median of ${String(runs)}: first contentful paint ${median(paints).toFixed(0)} ms, overview data rendered ${median(ready).toFixed(0)} ms (${String(seeded.licenses)} licenses)`,
);
if (browser.errors.length > 0) console.log('console errors:', browser.errors);
await browser.close();
await server.close();
