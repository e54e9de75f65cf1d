import { randomBytes, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Context } from 'aws-lambda';
import { LOCAL_ACCOUNT_ID, LOCAL_REGION } from './http-support.js';

/** Lambda's maximum timeout; the techmail function is deployed with it. */
export const DEFAULT_FUNCTION_TIMEOUT_MS = 900_000;

/** Memory size reported to handlers; only informational locally. */
const MEMORY_LIMIT_MB = '1024';

/** What a local invocation's context is built from. */
export interface LocalContextInput {
  /** The function's name, as given to Invoke. */
  readonly functionName: string;
  /**
   * The invocation's request id; async retries keep the first one.
   * @default a new UUID
   */
  readonly awsRequestId?: string;
  /**
   * The function's timeout; `getRemainingTimeInMillis()` counts down from it.
   * @default DEFAULT_FUNCTION_TIMEOUT_MS
   */
  readonly timeoutMs?: number;
}

/**
 * Builds the `Context` a Lambda handler receives, with a deadline that
 * starts now, so code that watches its remaining time behaves as on AWS.
 *
 * @param input function name, request id and timeout
 * @returns a context whose remaining time decreases to 0
 */
export function createLambdaContext(input: LocalContextInput): Context {
  const timeoutMs = input.timeoutMs ?? DEFAULT_FUNCTION_TIMEOUT_MS;
  const deadline = Date.now() + timeoutMs;
  const today = new Date().toISOString().slice(0, 10).replaceAll('-', '/');

  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: input.functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:function:${input.functionName}`,
    memoryLimitInMB: MEMORY_LIMIT_MB,
    awsRequestId: input.awsRequestId ?? randomUUID(),
    logGroupName: `/aws/lambda/${input.functionName}`,
    logStreamName: `${today}/[$LATEST]${randomBytes(16).toString('hex')}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: callbacksUnsupported,
    fail: callbacksUnsupported,
    succeed: callbacksUnsupported,
  };
}

/**
 * Runs a handler against a deadline. Past it the caller gets the timeout
 * error, as from Lambda; the handler itself cannot be stopped in-process
 * and is left to finish on its own.
 *
 * @param run starts the handler
 * @param timeoutMs the deadline, from now
 * @param onTimeout builds the error thrown at the deadline
 * @returns what the handler returned
 * @throws the handler's error, or `onTimeout()`'s
 */
export async function runWithTimeout<T>(
  run: () => Promise<T>,
  timeoutMs: number,
  onTimeout: () => Error,
): Promise<T> {
  const timer = new AbortController();
  // Unref'd: a deadline alone must not keep a stopping process alive.
  const timedOut = sleep(timeoutMs, undefined, {
    signal: timer.signal,
    ref: false,
  }).then(() => {
    throw onTimeout();
  });
  try {
    return await Promise.race([Promise.resolve().then(run), timedOut]);
  } finally {
    timer.abort();
    await timedOut.catch(() => undefined);
  }
}

/**
 * Newer Node.js runtimes drop callback-style completion and the service's
 * handlers are async, so a call to one of these is a bug worth failing on.
 */
function callbacksUnsupported(): never {
  throw new Error(
    'context.done/fail/succeed are not supported; return a value or throw from an async handler',
  );
}
