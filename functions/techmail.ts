import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { lambdaClient } from './commons/clients/lambda.js';
import { getConfig } from './commons/config.js';
import { ValidationError } from './commons/errors.js';
import { logger } from './commons/powertools/logger.js';
import { metrics } from './commons/powertools/metrics.js';
import type { RunStatus } from './model.js';
import { dispatchRun } from './runs/dispatch-runs.js';
import { lambdaInvoker } from './runs/lambda-invoker.js';
import { createStores } from './store/index.js';
import { LOGIN_FAILURE_CODES } from './techmail/mailbox-health.js';
import { connectPop3 } from './techmail/pop3-mail-source.js';
import { type RunRequest, runMailbox } from './techmail/run-mailbox.js';

const stores = createStores();
const config = getConfig();
const invoke = lambdaInvoker(lambdaClient, config.functionName);
const TRIGGERS = new Set(['schedule', 'on-demand']);

/**
 * Runs one mailbox once, as asked by the fan-out or the on-demand API. When
 * the run stops early for lack of time, it queues its own continuation.
 *
 * @param event `{ mailboxId, runId, trigger }`
 * @param context the Lambda context (for the remaining time)
 * @returns the run's id, status and counts
 */
export async function runTechmail(
  event: unknown,
  context: Context,
): Promise<{ runId: string; status: RunStatus }> {
  const request = parseRunRequest(event);
  logger.appendKeys({ mailboxId: request.mailboxId, runId: request.runId });
  const { run, moreMail } = await runMailbox(request, {
    ...stores,
    connect: connectPop3,
    remainingTimeMs: () => context.getRemainingTimeInMillis(),
    leaseTtlMs: config.leaseSeconds * 1000,
    now: () => new Date(),
    messageIdDomain: config.messageIdDomain,
  });

  // Named here as well as in the appended keys: locally every function
  // shares one logger, and another handler's middleware may reset its keys.
  logger.info('mailbox run finished', {
    mailboxId: request.mailboxId,
    runId: request.runId,
    status: run.status,
    counts: run.counts,
    errorCode: run.error?.code,
  });
  for (const [outcome, count] of Object.entries(run.counts)) {
    metrics.addMetric(`Messages_${outcome}`, MetricUnit.Count, count);
  }
  if (run.error && LOGIN_FAILURE_CODES.has(run.error.code)) {
    metrics.addMetric('LoginFailures', MetricUnit.Count, 1);
  }
  if (run.status === 'failed') {
    metrics.addMetric('RunFailures', MetricUnit.Count, 1);
  }
  if (moreMail) await queueContinuation(request);

  return { runId: run.runId, status: run.status };
}

async function queueContinuation(request: RunRequest): Promise<void> {
  const next = await dispatchRun(request.mailboxId, request.trigger, {
    runs: stores.runs,
    leases: stores.leases,
    invoke,
    leaseTtlMs: config.leaseSeconds * 1000,
    now: () => new Date(),
  });
  logger.info('continuation run queued', {
    nextRunId: next.runId,
    status: next.status,
  });
}

function parseRunRequest(event: unknown): RunRequest {
  const value = (event ?? {}) as Record<string, unknown>;
  for (const field of ['mailboxId', 'runId'] as const) {
    if (typeof value[field] !== 'string' || value[field] === '') {
      throw new ValidationError(
        field,
        `run event needs a non-empty string ${field}`,
      );
    }
  }
  if (!TRIGGERS.has(value.trigger as string)) {
    throw new ValidationError(
      'trigger',
      'run event needs trigger "schedule" or "on-demand"',
    );
  }

  return value as unknown as RunRequest;
}

/** Lambda entry of one mailbox run (async-invoked). */
export const handler = middy(runTechmail)
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics));
