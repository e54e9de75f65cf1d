import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { emptyCounts } from '../../../functions/model.js';
import type { RunRequest } from '../../../functions/techmail/run-mailbox.js';
import { apiCaller, type JsonReply } from '../../support/api-gateway.js';
import {
  startHandlerEnvironment,
  TEST_FUNCTION_NAME,
} from '../../support/handler-environment.js';
import { addMailbox, type TestStores } from '../../support/stores.js';

const lambda = mockClient(LambdaClient);

let stores: TestStores;
let handler: typeof import('../../../functions/on-demand.js').handler;

beforeAll(async () => {
  stores = await startHandlerEnvironment();
  ({ handler } = await import('../../../functions/on-demand.js'));
});

afterAll(async () => {
  await stores.stop();
});

beforeEach(() => {
  lambda.reset();
  lambda.on(InvokeCommand).resolves({ StatusCode: 202 });
});

const call = apiCaller(() => handler, 'on-demand');

function runMailboxNow(mailboxId: string): Promise<JsonReply> {
  return call('POST', `/mailboxes/${mailboxId}/runs`, {
    resource: '/mailboxes/{id}/runs',
    pathParameters: { id: mailboxId },
  });
}

/** The run requests sent to Lambda, decoded. */
function invokedRuns(): RunRequest[] {
  return lambda.commandCalls(InvokeCommand).map((call) => {
    const payload = call.args[0].input.Payload as Uint8Array;

    return JSON.parse(Buffer.from(payload).toString('utf8')) as RunRequest;
  });
}

describe('on-demand API', () => {
  describe('POST /mailboxes/{id}/runs', () => {
    it('answers 202 with the queued run and invokes the techmail function', async () => {
      const mailbox = await addMailbox(stores);

      const reply = await runMailboxNow(mailbox.id);

      expect(reply.statusCode).toBe(202);
      const { runId } = reply.json as { runId: string };
      expect(reply.json).toEqual({
        runId: expect.any(String),
        mailboxId: mailbox.id,
        status: 'queued',
      });
      const [invoke] = lambda.commandCalls(InvokeCommand);
      expect(invoke?.args[0].input).toMatchObject({
        FunctionName: TEST_FUNCTION_NAME,
        InvocationType: 'Event',
      });
      expect(invokedRuns()).toEqual([
        { mailboxId: mailbox.id, runId, trigger: 'on-demand' },
      ]);
    });

    it('answers 409 with the running runId while a run holds the mailbox', async () => {
      const mailbox = await addMailbox(stores);
      const first = await runMailboxNow(mailbox.id);

      const reply = await runMailboxNow(mailbox.id);

      expect(reply.statusCode).toBe(409);
      expect(reply.json).toEqual({
        error: {
          code: 'Conflict',
          message: expect.any(String),
          runId: (first.json as { runId: string }).runId,
          mailboxId: mailbox.id,
        },
      });
      expect(lambda.commandCalls(InvokeCommand)).toHaveLength(1);
    });

    it('answers 404 for an unknown mailbox and invokes nothing', async () => {
      const reply = await runMailboxNow('no-such-mailbox');

      expect(reply.statusCode).toBe(404);
      expect(lambda.commandCalls(InvokeCommand)).toEqual([]);
    });

    it('answers a generic 500 when Invoke fails, and frees the mailbox', async () => {
      const mailbox = await addMailbox(stores);
      lambda
        .on(InvokeCommand)
        .rejects(new Error('ServiceException: arn:aws:lambda:xx internal'));

      const reply = await runMailboxNow(mailbox.id);

      expect(reply.statusCode).toBe(500);
      expect(reply.json).toEqual({
        error: { code: 'InternalError', message: expect.any(String) },
      });
      expect(reply.raw).not.toMatch(/arn:aws|ServiceException/);
      lambda.on(InvokeCommand).resolves({ StatusCode: 202 });
      expect((await runMailboxNow(mailbox.id)).statusCode).toBe(202);
    });
  });

  describe('POST /runs', () => {
    it('answers 202 with a queued run for every enabled mailbox', async () => {
      const enabled = await addMailbox(stores);
      const disabled = await addMailbox(stores, { enabled: false });

      const reply = await call('POST', '/runs');

      expect(reply.statusCode).toBe(202);
      const { runs } = reply.json as { runs: { mailboxId: string }[] };
      expect(runs).toContainEqual({
        status: 'queued',
        runId: expect.any(String),
        mailboxId: enabled.id,
      });
      expect(runs.map((run) => run.mailboxId)).not.toContain(disabled.id);
      expect(invokedRuns().map((run) => run.mailboxId)).toContain(enabled.id);
    });
  });

  describe('GET /runs/{runId}', () => {
    it('returns the run with its counts and messages', async () => {
      const mailbox = await addMailbox(stores);
      const runId = `run-${mailbox.id}`;
      await stores.runs.create({
        runId,
        mailboxId: mailbox.id,
        trigger: 'schedule',
        status: 'queued',
        queuedAt: '2026-12-04T12:00:00.000Z',
        counts: emptyCounts(),
        messages: [],
      });
      await stores.runs.markRunning(runId, new Date('2026-12-04T12:00:01Z'));
      await stores.runs.appendMessages(runId, 0, [
        {
          uidl: 'uid-1',
          messageId: 'a@customer.example',
          outcome: 'created',
          referenceNumber: '261204-000001',
        },
        { uidl: 'uid-2', outcome: 'quarantined', reason: 'unparseable' },
      ]);
      const counts = { ...emptyCounts(), seen: 2, created: 1, quarantined: 1 };
      await stores.runs.finish(runId, {
        status: 'succeeded',
        finishedAt: new Date('2026-12-04T12:00:05Z'),
        counts,
      });

      const reply = await call('GET', `/runs/${runId}`, {
        resource: '/runs/{runId}',
        pathParameters: { runId },
      });

      expect(reply.statusCode).toBe(200);
      expect(reply.json).toMatchObject({
        runId,
        mailboxId: mailbox.id,
        trigger: 'schedule',
        status: 'succeeded',
        startedAt: '2026-12-04T12:00:01.000Z',
        finishedAt: '2026-12-04T12:00:05.000Z',
        counts,
        messages: [
          {
            uidl: 'uid-1',
            messageId: 'a@customer.example',
            outcome: 'created',
            referenceNumber: '261204-000001',
          },
          { uidl: 'uid-2', outcome: 'quarantined', reason: 'unparseable' },
        ],
      });
      expect(reply.json).not.toHaveProperty('error');
    });

    it('answers 404 for an unknown run', async () => {
      const reply = await call('GET', '/runs/nope', {
        resource: '/runs/{runId}',
        pathParameters: { runId: 'nope' },
      });

      expect(reply.statusCode).toBe(404);
      expect(reply.json).toMatchObject({ error: { code: 'NotFound' } });
    });
  });
});
