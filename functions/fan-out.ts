import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import { lambdaClient } from './commons/clients/lambda.js';
import { getConfig } from './commons/config.js';
import { logger } from './commons/powertools/logger.js';
import { metrics } from './commons/powertools/metrics.js';
import { dispatchRuns } from './runs/dispatch-runs.js';
import { lambdaInvoker } from './runs/lambda-invoker.js';
import { createStores } from './store/index.js';

const stores = createStores();
const config = getConfig();
const invoke = lambdaInvoker(lambdaClient, config.functionName);

/** What one scheduled fan-out did. */
export interface FanOutResult {
  queued: number;
  skipped: number;
  failed: number;
}

/**
 * Runs on the 15-minute schedule: queues a run of every enabled mailbox
 * (except those backing off after failures), a bounded number at a time.
 *
 * @returns how many runs were queued, skipped as busy, or failed to start
 */
export async function fanOut(): Promise<FanOutResult> {
  const mailboxes = await stores.mailboxes.list();
  const { dispatched, failed } = await dispatchRuns(mailboxes, 'schedule', {
    runs: stores.runs,
    leases: stores.leases,
    invoke,
    leaseTtlMs: config.leaseSeconds * 1000,
    now: () => new Date(),
  });
  const result = {
    queued: dispatched.filter((run) => run.status === 'queued').length,
    skipped: dispatched.filter((run) => run.status !== 'queued').length,
    failed: failed.length,
  };
  metrics.addMetric('RunsQueued', MetricUnit.Count, result.queued);
  metrics.addMetric('RunsSkipped', MetricUnit.Count, result.skipped);
  metrics.addMetric('RunDispatchFailures', MetricUnit.Count, result.failed);
  for (const error of failed) {
    logger.error('run dispatch failed', { mailboxId: error.mailboxId, error });
  }
  logger.info('scheduled runs dispatched', { ...result });

  return result;
}

/** Lambda entry of the scheduled fan-out. */
export const handler = middy(fanOut)
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics));
