import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

/** A path next to this file (no Node types in the browser project that checks this file). */
const here = (relative: string) => decodeURIComponent(new URL(relative, import.meta.url).pathname);

/** The dashboard: served by the server at /ui from dist/ui (src/http/ui.ts). */
export default defineConfig({
  root: here('.'),
  base: '/ui/',
  plugins: [react()],
  build: {
    outDir: here('../dist/ui'),
    emptyOutDir: true,
    chunkSizeWarningLimit: 800,
  },
  server: {
    // `npx vite --config ui/vite.config.ts` next to `npm start`: the API on the same origin.
    proxy: { '/v1': 'http://127.0.0.1:8080' },
  },
});
