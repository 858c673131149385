/**
 * The machine's own limits, each measured in a process of its own by `npm run bench`:
 * `tsx bench/baselines.ts <mode> <seconds> [file]` prints `{"opsPerSecond": n}`.
 *
 * - `sqlite-lookup <db> <keysFile>`: a prepared better-sqlite3 lookup of a license by key (the
 *   unique index validation uses), keys in a scattered order, on the bench's own database file;
 * - `sqlite-insert <dir>`: batched inserts of usage rows, 1,000 per transaction, into a fresh
 *   database with Entitle's schema (the same rows `POST /v1/usage` writes, without aggregates);
 * - `ed25519`: `crypto.verify` of a 300-byte message with a prepared public key.
 */
import { generateKeyPairSync, sign, verify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { rawUsageInserter } from './raw-insert.js';

const [mode, secondsText, file, extra] = process.argv.slice(2);
const seconds = Number(secondsText ?? '3');

function loop(step: () => void): number {
  const end = performance.now() + seconds * 1000;
  let ops = 0;
  while (performance.now() < end) {
    for (let i = 0; i < 100; i++) step();
    ops += 100;
  }
  return Math.round(ops / seconds);
}

async function measure(): Promise<number> {
  switch (mode) {
    case 'sqlite-lookup': {
      const db = new Database(file ?? '', { readonly: true });
      const keys = readFileSync(extra ?? '', 'utf8')
        .split('\n')
        .filter((k) => k !== '');
      const lookup = db.prepare('select * from licenses where key = ?');
      let i = 0;
      const ops = loop(() => {
        i = (i * 7919 + 1) % keys.length;
        lookup.get(keys[i]);
      });
      db.close();
      return ops;
    }
    case 'sqlite-insert': {
      const raw = await rawUsageInserter(file ?? '', 'insert-baseline.db');
      let id = 0;
      const end = performance.now() + seconds * 1000;
      let rows = 0;
      while (performance.now() < end) {
        const at = new Date().toISOString();
        raw.insert(Array.from({ length: 1000 }, () => ({ id: `raw-${String(id++)}`, at })));
        rows += 1000;
      }
      raw.close();
      return Math.round(rows / seconds);
    }
    case 'ed25519': {
      const { publicKey, privateKey } = generateKeyPairSync('ed25519');
      const message = Buffer.alloc(300, 7);
      const signature = sign(null, message, privateKey);
      return loop(() => {
        if (!verify(null, message, publicKey, signature)) throw new Error('bad signature');
      });
    }
    default:
      throw new Error(`unknown baseline mode: ${String(mode)}`);
  }
}

process.stdout.write(`${JSON.stringify({ opsPerSecond: await measure() })}\n`);
