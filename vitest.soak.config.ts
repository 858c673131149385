import { defineConfig } from 'vitest/config';

/** `npm run test:soak`: the long reliability runs, kept out of `npm test`. */
export default defineConfig({
  test: {
    include: ['test/**/*.soak.ts'],
    environment: 'node',
    pool: 'forks',
    testTimeout: 11 * 60_000,
  },
});
