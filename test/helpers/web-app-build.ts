import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { WEB_APP_DIR } from '../../src/transport/web-app.js';

/**
 * The browser tests drive the production build Tally serves at /app. Builds it (`npm run
 * build:web`, a few seconds) when it is missing; an existing build is used as it is, so after
 * changing web/ run the build yourself or delete web/dist.
 */
export function ensureWebAppBuilt(): void {
  if (existsSync(join(WEB_APP_DIR, 'index.html'))) return;
  process.stderr.write('web app tests: web/dist is missing, running npm run build:web\n');
  execFileSync('npm', ['run', 'build:web'], { stdio: ['ignore', 'ignore', 'inherit'], timeout: 300_000 });
}
