import { createReadStream, createWriteStream, existsSync, renameSync } from 'node:fs';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import type { Config } from '../config.js';
import type { Store } from '../store/database.js';

/** How the caller adds its store flags to a command and turns parsed flags into a config. */
type StoreOptions = (command: Command) => Command;
type ConfigOf = (flags: object) => Config;

/**
 * The lines of a file, read when iteration starts: a readline interface made earlier would emit
 * its lines while the store is still opening, and they would be lost.
 */
async function* linesOf(file: string): AsyncIterable<string> {
  yield* createInterface({ input: createReadStream(file), crlfDelay: Infinity });
}

/**
 * `entitle backup <file>`: an online copy of a SQLite store (the server may keep running).
 * `entitle export <file>` / `entitle import <file>`: every row as JSON lines, e.g. to move from
 * SQLite to PostgreSQL (src/store/transfer.ts). They open the store the flags name, as `serve`
 * would, and bring its schema up to date first.
 */
export function registerDataCommands(
  program: Command,
  storeOptions: StoreOptions,
  configOf: ConfigOf,
): void {
  async function withStore<T>(flags: object, work: (store: Store) => Promise<T>) {
    const { openStore } = await import('../runtime.js');
    const store = await openStore(configOf(flags));
    try {
      return await work(store);
    } finally {
      await store.close();
    }
  }

  storeOptions(
    program
      .command('backup <file>')
      .description('copy the SQLite database online into <file> (PostgreSQL: use pg_dump)'),
  ).action(async (file: string, flags: object) => {
    if (existsSync(file)) throw new Error(`${file} exists; choose a new file`);
    await withStore(flags, async (store) => {
      // Written aside and renamed: a crash never leaves a half backup under the chosen name.
      await store.backup(`${file}.partial`);
      renameSync(`${file}.partial`, file);
    });
    process.stderr.write(`backed up to ${file}\n`);
  });

  storeOptions(
    program
      .command('export <file>')
      .description('write every row as JSON lines into <file> (a consistent snapshot)'),
  ).action(async (file: string, flags: object) => {
    if (existsSync(file)) throw new Error(`${file} exists; choose a new file`);
    const { exportStore } = await import('../store/transfer.js');
    const out = createWriteStream(`${file}.partial`, { mode: 0o600 });
    const header = await withStore(flags, (store) =>
      exportStore(store, async (line) => {
        if (!out.write(`${line}\n`)) await once(out, 'drain');
      }),
    );
    out.end();
    await once(out, 'finish');
    renameSync(`${file}.partial`, file);
    const rows = Object.values(header.tables).reduce((a, b) => a + b, 0);
    process.stderr.write(`exported ${String(rows)} rows to ${file}\n`);
  });

  storeOptions(
    program
      .command('import <file>')
      .description('load an export into an empty database, in one transaction'),
  ).action(async (file: string, flags: object) => {
    const { importStore } = await import('../store/transfer.js');
    const written = await withStore(flags, (store) => importStore(store, linesOf(file)));
    const rows = Object.values(written).reduce((a, b) => a + b, 0);
    process.stderr.write(`imported ${String(rows)} rows from ${file}\n`);
  });
}
