import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Entitle, UsageIngestResult, UsageRecord } from '#sdk';
import { UsageError } from './context.js';

/**
 * Sends a JSON-lines file of usage records in batches. A record without an `id` gets one derived
 * from its line's content, so sending the same file twice never counts a record twice.
 */
export async function sendUsage(
  sdk: Entitle,
  file: string,
  batchSize: number,
  progress: NodeJS.WriteStream,
): Promise<UsageIngestResult & { records: number }> {
  const text = readFileSync(file === '-' ? 0 : file, 'utf8');
  const records: UsageRecord[] = [];
  const problems: string[] = [];
  text.split('\n').forEach((line, index) => {
    if (line.trim() === '') return;
    try {
      const parsed = JSON.parse(line) as unknown;
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
        throw new Error('not a JSON object');
      }
      const record = parsed as Partial<UsageRecord>;
      const id =
        record.id ?? `line-${createHash('sha256').update(line.trim()).digest('hex').slice(0, 40)}`;
      records.push({ ...record, id } as UsageRecord);
    } catch (error) {
      problems.push(
        `line ${String(index + 1)}: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  });
  if (problems.length > 0) throw new UsageError(`${file}: ${problems.slice(0, 10).join('; ')}`);
  const total: UsageIngestResult = { accepted: 0, duplicates: 0, rejected: [] };
  for (let start = 0; start < records.length; start += batchSize) {
    const batch = records.slice(start, start + batchSize);
    const answer = await sdk.usage.send(batch);
    total.accepted += answer.accepted;
    total.duplicates += answer.duplicates;
    total.rejected.push(...answer.rejected.map((r) => ({ ...r, index: r.index + start })));
    progress.write(
      `sent ${String(Math.min(start + batchSize, records.length))}/${String(records.length)} records\n`,
    );
  }
  return { ...total, records: records.length };
}
