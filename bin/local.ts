import { localRuntimeLogger as logger } from '../lib/local/http-support.js';
import {
  readLocalRuntimeOptions,
  startLocalRuntime,
} from '../lib/local/local-runtime.js';

try {
  const runtime = await startLocalRuntime(readLocalRuntimeOptions());
  const shutdown = (signal: NodeJS.Signals): void => {
    logger.info('local runtime stopping', { signal });
    runtime.stop().catch((error: unknown) => {
      logger.error('local runtime did not stop cleanly', { error });
      process.exitCode = 1;
    });
  };
  // `once`: a second Ctrl-C falls through to Node's default and exits now.
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
} catch (error) {
  logger.error('local runtime failed to start', { error });
  process.exitCode = 1;
}
