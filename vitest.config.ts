import { defineConfig } from 'vitest/config';
import { postgresBinDir } from './test/helpers/postgres.js';

/**
 * Two projects run the same suites: `sqlite` (every test) and `postgres` (every test that touches
 * the store, on a throwaway cluster started once per run by test/helpers/postgres-setup.ts; the
 * harness gives each test its own database). Without PostgreSQL binaries the `postgres` project
 * is left out with a loud warning, except under CI, where it runs and fails.
 */
const postgresAvailable = postgresBinDir() !== undefined;
const inCi = process.env.CI === 'true';

/** Tests that are about SQLite itself (the WAL file, prepared statements, a CLI data dir). */
const SQLITE_ONLY = [
  'test/reliability/crash.test.ts',
  'test/store/prepared.test.ts',
  'test/store/backup.test.ts',
  'test/store/list-plan.test.ts',
];
/** Tests that need PostgreSQL whatever the project (several processes on one database). */
const POSTGRES_ONLY = ['test/multiprocess/**/*.test.ts', 'test/store/transfer.test.ts'];

if (!postgresAvailable && !inCi) {
  const line = '!'.repeat(78);
  console.warn(
    `\n${line}\n!! PostgreSQL binaries not found (/usr/lib/postgresql/*/bin): the 'postgres' test\n!! project is SKIPPED. Install Debian's postgresql package to run it.\n${line}\n`,
  );
}

const shared = {
  environment: 'node',
  pool: 'forks',
  testTimeout: 20_000,
  // A fresh server per test: on a loaded 2-core machine its start can outlast vitest's 10 s.
  hookTimeout: 30_000,
} as const;

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          ...shared,
          name: 'sqlite',
          include: ['test/**/*.test.ts'],
          exclude: ['**/node_modules/**', ...POSTGRES_ONLY],
          env: { ENTITLE_TEST_DB: 'sqlite' },
        },
      },
      ...(postgresAvailable || inCi
        ? [
            {
              test: {
                ...shared,
                name: 'postgres',
                include: [
                  'test/http/**/*.test.ts',
                  'test/compat/**/*.test.ts',
                  'test/jobs/**/*.test.ts',
                  'test/store/**/*.test.ts',
                  'test/reliability/**/*.test.ts',
                  'test/multiprocess/**/*.test.ts',
                ],
                exclude: ['**/node_modules/**', ...SQLITE_ONLY],
                env: { ENTITLE_TEST_DB: 'postgres' },
                // A database per harness and a pool per store: slower to set up than a file.
                testTimeout: 60_000,
                hookTimeout: 60_000,
                globalSetup: ['test/helpers/postgres-setup.ts'],
              },
            },
          ]
        : []),
    ],
  },
});
