import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import express, { type Express, type Response } from 'express';

/** Where `npm run build:web` writes the web app (web/vite.config.ts). */
export const WEB_APP_DIR = fileURLToPath(new URL('../../web/dist/', import.meta.url));

/**
 * The web app's pages may load only what they came with and talk only to this origin (HTTP and the
 * graphql-ws socket: CSP 3 'self' covers ws/wss of the same host). No inline script or style is
 * needed: Vite emits files. Framing is refused (clickjacking of a payment form).
 */
export const WEB_APP_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

function secureHeaders(response: Response): void {
  response.setHeader('Content-Security-Policy', WEB_APP_CSP);
  response.setHeader('X-Content-Type-Options', 'nosniff');
  response.setHeader('Referrer-Policy', 'no-referrer');
}

/**
 * Serves the built web app at /app. Files under assets/ carry a content hash in their names, so
 * they are cached for a year; index.html is revalidated on every load, so a new build is picked up
 * at once. Any other GET under /app is a page of the single-page app and gets index.html. Without
 * a build, /app says how to make one.
 */
export function mountWebApp(app: Express, directory = WEB_APP_DIR): void {
  const index = `${directory}index.html`;
  // Relative asset URLs need the trailing slash; Express routes match /app and /app/ alike, so look at the URL.
  app.get('/app', (request, response, next) => (request.path === '/app' ? response.redirect(308, '/app/') : next()));
  app.use(
    '/app/assets',
    express.static(`${directory}assets`, {
      index: false,
      setHeaders: (response) => {
        secureHeaders(response);
        response.setHeader('Cache-Control', 'public, max-age=31536000, immutable');
      },
    }),
  );
  // An asset this build does not have (an old tab after a deploy) is a plain 404, never index.html.
  app.use('/app/assets', (_request, response) => {
    response.status(404).type('text').send('Not found\n');
  });
  app.use('/app', (request, response, next) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return next();
    secureHeaders(response);
    if (!existsSync(index)) {
      response.status(503).type('text').send('The web app is not built: run `npm run build:web` (npm start does it when the build is missing).\n');
      return;
    }
    response.setHeader('Cache-Control', 'no-cache');
    response.sendFile(index, (error) => error && next(error));
  });
}
