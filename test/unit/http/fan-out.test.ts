import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { emptyCounts } from '../../../functions/model.js';
import type { RunRequest } from '../../../functions/techmail/run-mailbox.js';
import { lambdaContext } from '../../support/api-gateway.js';
import { startHandlerEnvironment } from '../../support/handler-environment.js';
import { addMailbox, type TestStores } from '../../support/stores.js';

const lambda = mockClient(LambdaClient);
const SCHEDULED_EVENT = {
  source: 'aws.events',
  'detail-type': 'Scheduled Event',
};

let stores: TestStores;
let handler: typeof import('../../../functions/fan-out.js').handler;

beforeAll(async () => {
  stores = await startHandlerEnvironment();
  ({ handler } = await import('../../../functions/fan-out.js'));
});

afterAll(async () => {
  await stores.stop();
});

beforeEach(() => {
  lambda.reset();
  lambda.on(InvokeCommand).resolves({ StatusCode: 202 });
});

function invokedMailboxIds(): string[] {
  return lambda.commandCalls(InvokeCommand).map((call) => {
    const payload = Buffer.from(call.args[0].input.Payload as Uint8Array);

    return (JSON.parse(payload.toString('utf8')) as RunRequest).mailboxId;
  });
}

describe('fan-out handler', () => {
  it('queues enabled mailboxes, skips busy ones and leaves out the rest', async () => {
    const now = new Date();
    const enabled = await addMailbox(stores);
    await addMailbox(stores, { enabled: false });
    const backingOff = await addMailbox(stores);
    await stores.mailboxes.recordHealth(
      backingOff.id,
      {
        status: 'login-failed',
        consecutiveFailures: 5,
        backoffUntil: new Date(now.getTime() + 3_600_000).toISOString(),
        lastRun: { runId: 'r0', status: 'failed', counts: emptyCounts() },
      },
      now,
    );
    const busy = await addMailbox(stores);
    await stores.leases.acquire(busy.id, 'still-running', 600_000, now);

    const result = await handler(SCHEDULED_EVENT, lambdaContext('fan-out'));

    expect(result).toEqual({ queued: 1, skipped: 1, failed: 0 });
    expect(invokedMailboxIds()).toEqual([enabled.id]);
    const [skipped] = await stores.runs.listByMailbox(busy.id, 1);
    expect(skipped).toMatchObject({ status: 'skipped', trigger: 'schedule' });
  });

  it('counts the runs whose Invoke failed', async () => {
    const fresh = await addMailbox(stores);
    lambda.on(InvokeCommand).rejects(new Error('TooManyRequestsException'));

    const result = await handler(SCHEDULED_EVENT, lambdaContext('fan-out'));

    expect(result.failed).toBe(1);
    expect(result.queued).toBe(0);
    expect(invokedMailboxIds()).toEqual([fresh.id]);
  });
});
