import { setTimeout as sleep } from 'node:timers/promises';
import type { App } from './app.js';
import type { Config } from './config.js';
import type { Logger } from './logger.js';

/**
 * A graceful shutdown (README "Operating Tally"): /readyz turns 503 at once, requests are still
 * served for SHUTDOWN_DRAIN_DELAY (the load balancer's time to notice), then app.close() lets
 * every in-flight movement commit and answer, closes WebSockets with 1001 and drains the relay.
 * Whatever still runs at SHUTDOWN_TIMEOUT is cut, and nothing is lost by that: an unanswered
 * movement committed whole or not at all, and its client retries under the same key.
 * Resolves with the exit code.
 */
export async function shutDownGracefully(app: App, config: Config, logger: Logger, signal: string): Promise<number> {
  logger.info({ signal, drainDelaySeconds: config.shutdownDrainDelaySeconds, timeoutSeconds: config.shutdownTimeoutSeconds }, 'shutting down');
  let deadline: NodeJS.Timeout | undefined;
  const timedOut = new Promise<number>((resolve) => {
    deadline = setTimeout(() => {
      logger.error({ timeoutSeconds: config.shutdownTimeoutSeconds }, 'shutdown did not finish within SHUTDOWN_TIMEOUT; exiting');
      resolve(1);
    }, config.shutdownTimeoutSeconds * 1000);
  });
  app.beginDraining();
  const stopped = sleep(config.shutdownDrainDelaySeconds * 1000)
    .then(() => app.close())
    .then(
      () => {
        logger.info({ signal }, 'stopped');
        return 0;
      },
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        return 1;
      },
    );
  try {
    return await Promise.race([stopped, timedOut]);
  } finally {
    clearTimeout(deadline);
  }
}
