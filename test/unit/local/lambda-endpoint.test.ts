import { setTimeout as sleep } from 'node:timers/promises';
import { Logger } from '@aws-lambda-powertools/logger';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import type { Context } from 'aws-lambda';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  type LambdaEndpoint,
  type LocalFunction,
  startLambdaEndpoint,
} from '../../../lib/local/lambda-endpoint.js';

const silent = new Logger({ logLevel: 'SILENT' });

const encode = (value: unknown): Uint8Array =>
  new TextEncoder().encode(JSON.stringify(value));

const decode = (payload: Uint8Array | undefined): unknown =>
  JSON.parse(new TextDecoder().decode(payload));

describe('startLambdaEndpoint', () => {
  let endpoint: LambdaEndpoint | undefined;
  let client: LambdaClient | undefined;

  const start = async (
    functions: Record<string, LocalFunction>,
    extra: { timeoutMs?: number; maxRetries?: number } = {},
  ): Promise<LambdaClient> => {
    endpoint = await startLambdaEndpoint({
      functions,
      logger: silent,
      retryDelayMs: 5,
      ...extra,
    });
    client = new LambdaClient({
      endpoint: endpoint.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });

    return client;
  };

  afterEach(async () => {
    client?.destroy();
    await endpoint?.stop();
    endpoint = undefined;
  });

  describe('Event invocations', () => {
    it('returns 202 and runs the handler in the background', async () => {
      const seen: unknown[] = [];
      const lambda = await start({
        techmail: async (event) => {
          seen.push(event);
        },
      });

      const result = await lambda.send(
        new InvokeCommand({
          FunctionName: 'techmail',
          InvocationType: 'Event',
          Payload: encode({ mailboxId: 'm1', runId: 'r1', trigger: 'demand' }),
        }),
      );
      await endpoint?.settled();

      expect(result.StatusCode).toBe(202);
      expect(seen).toEqual([
        { mailboxId: 'm1', runId: 'r1', trigger: 'demand' },
      ]);
    });

    it('retries a failing handler, then dead-letters the event', async () => {
      const handler = vi.fn(async () => {
        throw new TypeError('boom');
      });
      const lambda = await start({ techmail: handler }, { maxRetries: 2 });

      await lambda.send(
        new InvokeCommand({
          FunctionName: 'techmail',
          InvocationType: 'Event',
          Payload: encode({ mailboxId: 'm2' }),
        }),
      );
      await endpoint?.settled();

      expect(handler).toHaveBeenCalledTimes(3);
      const requestIds = handler.mock.calls.map(
        (call) => (call as unknown as [unknown, Context])[1].awsRequestId,
      );
      expect(new Set(requestIds).size).toBe(1);
      expect(endpoint?.deadLetters).toEqual([
        expect.objectContaining({
          functionName: 'techmail',
          event: { mailboxId: 'm2' },
          attempts: 3,
          errorType: 'TypeError',
          errorMessage: 'boom',
        }),
      ]);
    });

    it('stops retrying once a retry succeeds', async () => {
      let calls = 0;
      const lambda = await start({
        techmail: async () => {
          calls += 1;
          if (calls === 1) throw new Error('transient');
        },
      });

      await lambda.send(
        new InvokeCommand({
          FunctionName: 'techmail',
          InvocationType: 'Event',
        }),
      );
      await endpoint?.settled();

      expect(calls).toBe(2);
      expect(endpoint?.deadLetters).toEqual([]);
    });
  });

  describe('RequestResponse invocations', () => {
    it('returns the JSON result of the handler', async () => {
      const lambda = await start({
        echo: async (event) => ({ echoed: event }),
      });

      const result = await lambda.send(
        new InvokeCommand({ FunctionName: 'echo', Payload: encode({ a: 1 }) }),
      );

      expect(result.StatusCode).toBe(200);
      expect(result.FunctionError).toBeUndefined();
      expect(decode(result.Payload)).toEqual({ echoed: { a: 1 } });
    });

    it('accepts the function by its ARN', async () => {
      const lambda = await start({ echo: async () => 'ok' });

      const result = await lambda.send(
        new InvokeCommand({
          FunctionName: 'arn:aws:lambda:us-east-1:000000000000:function:echo',
        }),
      );

      expect(decode(result.Payload)).toBe('ok');
    });

    it('reports a thrown error as an Unhandled function error', async () => {
      const lambda = await start({
        fail: async () => {
          throw new RangeError('out of range');
        },
      });

      const result = await lambda.send(
        new InvokeCommand({ FunctionName: 'fail' }),
      );

      expect(result.FunctionError).toBe('Unhandled');
      expect(decode(result.Payload)).toMatchObject({
        errorType: 'RangeError',
        errorMessage: 'out of range',
      });
    });

    it('fails a handler that runs past the timeout', async () => {
      const lambda = await start(
        { slow: () => sleep(1_000) },
        { timeoutMs: 50 },
      );

      const result = await lambda.send(
        new InvokeCommand({ FunctionName: 'slow' }),
      );

      expect(result.FunctionError).toBe('Unhandled');
      expect(decode(result.Payload)).toMatchObject({
        errorType: 'FunctionTimeoutError',
      });
    });
  });

  it('gives a context whose remaining time decreases', async () => {
    const lambda = await start(
      {
        clock: async (_event, context) => {
          const first = context.getRemainingTimeInMillis();
          await sleep(30);
          return {
            first,
            second: context.getRemainingTimeInMillis(),
            functionName: context.functionName,
            arn: context.invokedFunctionArn,
          };
        },
      },
      { timeoutMs: 900_000 },
    );

    const result = await lambda.send(
      new InvokeCommand({ FunctionName: 'clock' }),
    );
    const clock = decode(result.Payload) as Record<string, number | string>;

    expect(clock.first).toBeLessThanOrEqual(900_000);
    expect(clock.first).toBeGreaterThan(899_000);
    expect(Number(clock.first) - Number(clock.second)).toBeGreaterThanOrEqual(
      25,
    );
    expect(clock.functionName).toBe('clock');
    expect(clock.arn).toMatch(
      /^arn:aws:lambda:us-east-1:\d{12}:function:clock$/,
    );
  });

  it('throws ResourceNotFoundException for an unknown function', async () => {
    const lambda = await start({ techmail: async () => undefined });

    const invoked = lambda.send(
      new InvokeCommand({ FunctionName: 'missing', InvocationType: 'Event' }),
    );

    await expect(invoked).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
      $metadata: { httpStatusCode: 404 },
    });
  });

  it('waits for running invocations when stopped', async () => {
    let finished = false;
    const lambda = await start({
      techmail: async () => {
        await sleep(50);
        finished = true;
      },
    });
    await lambda.send(
      new InvokeCommand({ FunctionName: 'techmail', InvocationType: 'Event' }),
    );

    await endpoint?.stop();
    endpoint = undefined;

    expect(finished).toBe(true);
  });

  it('stops after a bounded wait when an invocation hangs', async () => {
    endpoint = await startLambdaEndpoint({
      functions: { stuck: () => new Promise(() => undefined) },
      logger: silent,
      stopWaitMs: 50,
    });
    const warn = vi.spyOn(silent, 'warn');
    endpoint.invokeAsync('stuck', {});

    const started = Date.now();
    await endpoint.stop();
    endpoint = undefined;

    expect(Date.now() - started).toBeLessThan(1_000);
    expect(warn).toHaveBeenCalledWith(
      'local Lambda stopped with invocations running',
      { running: 1, waitMs: 50 },
    );
  });
});
