import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

/** Where `npm run dev:web` sends API calls: a Tally started with `npm start` (override with TALLY_URL). */
const TALLY_URL = process.env.TALLY_URL ?? 'http://localhost:4000';

/**
 * The Tally web app. Built into web/dist, which Tally serves at /app (src/transport/web-app.ts);
 * in development Vite serves it and forwards /graphql (HTTP and WebSocket) to a running Tally, so
 * the app always talks to its own origin, as it does in production. `npm run build:web` sets
 * NODE_ENV=production itself: a NODE_ENV of test (vitest's) would bundle React's development build.
 */
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/app/',
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: false },
  server: { proxy: { '/graphql': { target: TALLY_URL, ws: true, changeOrigin: true } } },
});
