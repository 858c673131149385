import type { Executor } from './database.js';

export interface JobRun {
  name: string;
  holder: string | null;
  leaseUntil: string | null;
  lastStartedAt: string | null;
  lastFinishedAt: string | null;
  lastOutcome: 'ok' | 'failed' | null;
  lastSummary: Record<string, unknown> | null;
}

export interface ClaimRequest {
  name: string;
  holder: string;
  /** ISO time of the claim. */
  now: string;
  /** A pass is due when the last one started at or before this time. */
  dueIfStartedBefore: string;
  leaseUntil: string;
}

/**
 * Claims the next pass of a job: one conditional UPDATE, atomic on every dialect, so among
 * processes racing for the same due pass exactly one gets `true`.
 */
export async function claimJobRun(db: Executor, claim: ClaimRequest): Promise<boolean> {
  await db
    .insertInto('job_runs')
    .values({ name: claim.name })
    .onConflict((oc) => oc.column('name').doNothing())
    .execute();
  const result = await db
    .updateTable('job_runs')
    .set({ holder: claim.holder, lease_until: claim.leaseUntil, last_started_at: claim.now })
    .where('name', '=', claim.name)
    .where((eb) =>
      eb.and([
        eb.or([eb('lease_until', 'is', null), eb('lease_until', '<=', claim.now)]),
        eb.or([
          eb('last_started_at', 'is', null),
          eb('last_started_at', '<=', claim.dueIfStartedBefore),
        ]),
      ]),
    )
    .executeTakeFirst();
  return result.numUpdatedRows === 1n;
}

/** Ends a pass the holder claimed, recording its outcome. */
export async function finishJobRun(
  db: Executor,
  finish: {
    name: string;
    holder: string;
    now: string;
    outcome: 'ok' | 'failed';
    summary: Record<string, unknown>;
  },
): Promise<void> {
  await db
    .updateTable('job_runs')
    .set({
      holder: null,
      lease_until: null,
      last_finished_at: finish.now,
      last_outcome: finish.outcome,
      last_summary: JSON.stringify(finish.summary),
    })
    .where('name', '=', finish.name)
    .where('holder', '=', finish.holder)
    .execute();
}

export async function listJobRuns(db: Executor): Promise<JobRun[]> {
  const rows = await db.selectFrom('job_runs').selectAll().orderBy('name').execute();
  return rows.map((row) => ({
    name: row.name,
    holder: row.holder,
    leaseUntil: row.lease_until,
    lastStartedAt: row.last_started_at,
    lastFinishedAt: row.last_finished_at,
    lastOutcome:
      row.last_outcome === 'ok' || row.last_outcome === 'failed' ? row.last_outcome : null,
    lastSummary:
      row.last_summary === null ? null : (JSON.parse(row.last_summary) as Record<string, unknown>),
  }));
}
