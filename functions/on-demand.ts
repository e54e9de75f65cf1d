import type { APIGatewayProxyEvent } from 'aws-lambda';
import { lambdaClient } from './commons/clients/lambda.js';
import { getConfig } from './commons/config.js';
import { ConflictError, NotFoundError } from './commons/errors.js';
import { apiHandler } from './commons/http/api-handler.js';
import { pathParameter } from './commons/http/request.js';
import { jsonResponse } from './commons/http/responses.js';
import { logger } from './commons/powertools/logger.js';
import {
  type DispatchDependencies,
  dispatchRun,
  dispatchRuns,
} from './runs/dispatch-runs.js';
import { lambdaInvoker } from './runs/lambda-invoker.js';
import { createStores } from './store/index.js';

const stores = createStores();
const config = getConfig();
const dispatch: DispatchDependencies = {
  runs: stores.runs,
  leases: stores.leases,
  invoke: lambdaInvoker(lambdaClient, config.functionName),
  leaseTtlMs: config.leaseSeconds * 1000,
  now: () => new Date(),
};

async function runMailbox(event: APIGatewayProxyEvent) {
  const mailboxId = pathParameter(event, 'id');
  if (!(await stores.mailboxes.get(mailboxId))) {
    throw new NotFoundError('mailbox', mailboxId);
  }
  const result = await dispatchRun(mailboxId, 'on-demand', dispatch);
  if (result.status === 'running') {
    throw new ConflictError(
      `mailbox ${mailboxId} is being run already; follow that run or try again when it ends`,
      { runId: result.runId, mailboxId },
    );
  }
  logger.info('run queued', { mailboxId, runId: result.runId });

  return jsonResponse(202, result);
}

async function runAllMailboxes() {
  const mailboxes = await stores.mailboxes.list();
  const { dispatched, failed } = await dispatchRuns(
    mailboxes,
    'on-demand',
    dispatch,
  );
  logger.info('runs queued', {
    queued: dispatched.filter((run) => run.status === 'queued').length,
    running: dispatched.filter((run) => run.status === 'running').length,
    failed: failed.length,
  });
  if (failed.length > 0 && dispatched.length === 0) {
    throw failed[0];
  }

  return jsonResponse(202, {
    runs: [
      ...dispatched,
      ...failed.map((error) => ({
        mailboxId: error.mailboxId,
        status: 'failed',
      })),
    ],
  });
}

async function getRun(event: APIGatewayProxyEvent) {
  const runId = pathParameter(event, 'runId');
  const run = await stores.runs.get(runId);
  if (!run) throw new NotFoundError('run', runId);

  return jsonResponse(200, run);
}

/** On-demand runs: one mailbox, every enabled mailbox, a run's record. */
export const handler = apiHandler([
  { method: 'POST', path: '/mailboxes/{id}/runs', handler: runMailbox },
  { method: 'POST', path: '/runs', handler: runAllMailboxes },
  { method: 'GET', path: '/runs/{runId}', handler: getRun },
]);
