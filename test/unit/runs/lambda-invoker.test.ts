import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { lambdaInvoker } from '../../../functions/runs/lambda-invoker.js';
import type { RunRequest } from '../../../functions/techmail/run-mailbox.js';
import { TEST_AWS } from '../../support/stores.js';

const lambda = mockClient(LambdaClient);

const REQUEST: RunRequest = {
  mailboxId: 'mbx-7',
  runId: 'run-7',
  trigger: 'on-demand',
};

afterEach(() => {
  lambda.reset();
});

describe('lambdaInvoker', () => {
  it('invokes the techmail function asynchronously with the request as JSON', async () => {
    lambda.on(InvokeCommand).resolves({ StatusCode: 202 });
    const invoke = lambdaInvoker(new LambdaClient(TEST_AWS), 'techmail-fn');

    await invoke(REQUEST);

    const [call] = lambda.commandCalls(InvokeCommand);
    const input = call?.args[0].input;
    expect(input?.FunctionName).toBe('techmail-fn');
    expect(input?.InvocationType).toBe('Event');
    const payload = Buffer.from(input?.Payload as Uint8Array).toString('utf8');
    expect(JSON.parse(payload)).toEqual(REQUEST);
  });

  it('rejects when Lambda refuses the invoke', async () => {
    lambda.on(InvokeCommand).rejects(new Error('TooManyRequestsException'));
    const invoke = lambdaInvoker(new LambdaClient(TEST_AWS), 'techmail-fn');

    const invoking = invoke(REQUEST);

    await expect(invoking).rejects.toThrow('TooManyRequestsException');
  });
});
