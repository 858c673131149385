import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { systemPrincipal } from '../../src/domain/principal.js';
import { pruneUsageJob } from '../../src/jobs/prune-usage.js';
import { createScheduler, type JobDefinition, type JobLogger } from '../../src/jobs/scheduler.js';
import { createHarness, type Harness } from '../helpers/harness.js';

let h: Harness;
beforeEach(async () => {
  h = await createHarness();
});
afterEach(async () => {
  await h.close();
});

const MINUTE = 60_000;

function recordingLog() {
  const lines: { level: string; fields: Record<string, unknown>; message: string }[] = [];
  const at =
    (level: string) =>
    (fields: object, message: string): void => {
      lines.push({ level, fields: fields as Record<string, unknown>, message });
    };
  const log: JobLogger = { debug: at('debug'), info: at('info'), error: at('error') };
  return { log, lines };
}

function countingJob(name: string, everyMs: number, fail = false) {
  const runs: string[] = [];
  const job: JobDefinition = {
    name,
    everyMs,
    run: (ctx) => {
      runs.push(ctx.clock.now().toISOString());
      return fail ? Promise.reject(new Error('disk full')) : Promise.resolve({ done: 1 });
    },
  };
  return { job, runs };
}

describe('the scheduler', () => {
  it('runs a pass when due, not again until its period has passed', async () => {
    const { job, runs } = countingJob('test.count', 10 * MINUTE);
    const scheduler = createScheduler({
      services: h.services,
      clock: h.clock,
      log: recordingLog().log,
      jobs: [job],
    });
    expect(await scheduler.tick()).toEqual([
      { job: 'test.count', outcome: 'ok', summary: { done: 1 } },
    ]);
    h.clock.advance(9 * MINUTE);
    expect(await scheduler.tick()).toEqual([]);
    h.clock.advance(MINUTE);
    await scheduler.tick();
    expect(runs).toEqual(['2026-11-23T12:00:00.000Z', '2026-11-23T12:10:00.000Z']);
  });

  it('lets only one of several processes run a due pass', async () => {
    const counters = [0, 1, 2, 3].map(() => countingJob('test.once', MINUTE));
    const schedulers = counters.map(({ job }, i) =>
      createScheduler({
        services: h.services,
        clock: h.clock,
        log: recordingLog().log,
        jobs: [job],
        holder: `process-${String(i)}`,
      }),
    );
    await Promise.all(schedulers.map((s) => s.tick()));
    expect(counters.map((c) => c.runs.length).reduce((a, b) => a + b)).toBe(1);
  });

  it('records the outcome of each pass; a failure is logged and retried next period', async () => {
    const { job, runs } = countingJob('test.fail', MINUTE, true);
    const { log, lines } = recordingLog();
    const scheduler = createScheduler({ services: h.services, clock: h.clock, log, jobs: [job] });
    expect(await scheduler.tick()).toEqual([
      { job: 'test.fail', outcome: 'failed', summary: { error: 'disk full' } },
    ]);
    expect(lines.filter((l) => l.level === 'error').map((l) => l.message)).toEqual([
      'job pass failed',
    ]);
    const system = { principal: systemPrincipal, requestId: null, clock: h.clock };
    const [row] = await h.services.jobs.list(system);
    expect(row).toMatchObject({
      name: 'test.fail',
      holder: null,
      lastOutcome: 'failed',
      lastSummary: { error: 'disk full' },
      lastFinishedAt: '2026-11-23T12:00:00.000Z',
    });
    h.clock.advance(MINUTE);
    await scheduler.tick();
    expect(runs).toHaveLength(2);
  });

  it('takes over a pass whose holder died, once its lease has ended', async () => {
    // A process claims the pass and dies without finishing it.
    const system = { principal: systemPrincipal, requestId: null, clock: h.clock };
    const claim = { name: 'test.lease', everyMs: MINUTE, leaseMs: 5 * MINUTE };
    expect(await h.services.jobs.claim(system, { ...claim, holder: 'crashed' })).toBe(true);
    const alive = countingJob('test.lease', MINUTE);
    const survivor = createScheduler({
      services: h.services,
      clock: h.clock,
      log: recordingLog().log,
      jobs: [{ ...alive.job, leaseMs: 5 * MINUTE }],
      holder: 'survivor',
    });
    h.clock.advance(4 * MINUTE);
    expect(await survivor.tick()).toEqual([]);
    h.clock.advance(MINUTE);
    expect(await survivor.tick()).toHaveLength(1);
    expect(alive.runs).toEqual(['2026-11-23T12:05:00.000Z']);
  });

  it('prunes usage as the usage.prune job, logging an idle pass at debug only', async () => {
    const { log, lines } = recordingLog();
    const scheduler = createScheduler({
      services: h.services,
      clock: h.clock,
      log,
      jobs: [pruneUsageJob(h.services)],
    });
    expect(await scheduler.tick()).toEqual([
      { job: 'usage.prune', outcome: 'ok', summary: { pruned: 0 } },
    ]);
    expect(lines.map((l) => l.level)).toEqual(['debug']);
  });
});
