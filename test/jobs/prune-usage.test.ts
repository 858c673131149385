import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { schedulePruneUsage } from '../../src/jobs/prune-usage.js';
import { createHarness, type Harness } from '../helpers/harness.js';

let h: Harness;
beforeEach(async () => {
  h = await createHarness();
});
afterEach(async () => {
  vi.useRealTimers();
  await h.close();
});

describe('the usage pruning job', () => {
  it('prunes at once and again every period, logging what it did, until stopped', async () => {
    vi.useFakeTimers();
    const prune = vi.spyOn(h.services.usage, 'prune').mockResolvedValue(3);
    const lines: { fields: object; message: string }[] = [];
    const log = {
      info: (fields: object, message: string) => lines.push({ fields, message }),
      error: (fields: object, message: string) => lines.push({ fields, message }),
    };
    const job = schedulePruneUsage(h.services, h.clock, log, 1000);
    await vi.advanceTimersByTimeAsync(0);
    expect(prune).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(2500);
    expect(prune).toHaveBeenCalledTimes(3);
    expect(lines[0]).toEqual({
      fields: { job: 'usage.prune', pruned: 3 },
      message: 'pruned raw usage records past retention',
    });
    job.stop();
    await vi.advanceTimersByTimeAsync(5000);
    expect(prune).toHaveBeenCalledTimes(3);
  });

  it('logs a failure and keeps running', async () => {
    vi.useFakeTimers();
    const prune = vi
      .spyOn(h.services.usage, 'prune')
      .mockRejectedValueOnce(new Error('disk full'))
      .mockResolvedValue(0);
    const errors: string[] = [];
    const job = schedulePruneUsage(
      h.services,
      h.clock,
      { info: () => undefined, error: (_f, m) => errors.push(m) },
      1000,
    );
    await vi.advanceTimersByTimeAsync(1000);
    expect(errors).toEqual(['pruning raw usage failed']);
    expect(prune).toHaveBeenCalledTimes(2);
    job.stop();
  });
});
