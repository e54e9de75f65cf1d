import { randomUUID } from 'node:crypto';
import {
  createServer,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';
import {
  BodyTooLargeError,
  closeServer,
  type LocalEndpoint,
  listenOnLoopback,
  localRuntimeLogger,
  loopbackUrl,
  readRequestBody,
  sendJson,
} from './http-support.js';
import {
  createLambdaContext,
  DEFAULT_FUNCTION_TIMEOUT_MS,
  runWithTimeout,
} from './lambda-context.js';

/** Lambda's limit on a synchronous invocation's payload. */
export const MAX_SYNC_PAYLOAD_BYTES = 6 * 1024 * 1024;

/**
 * Lambda's classic limit on an event (async) payload; holding local code to
 * it keeps it within what every region accepts.
 */
export const MAX_ASYNC_PAYLOAD_BYTES = 256 * 1024;

/**
 * Failed async invocations kept for inspection; older ones are dropped so a
 * long local session cannot grow without bound.
 */
export const MAX_DEAD_LETTERS = 100;

const INVOKE_PATH = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/;

/** A Lambda handler run in-process. */
export type LocalFunction = (
  event: unknown,
  context: Context,
) => Promise<unknown>;

/** Options of {@link startLambdaEndpoint}. */
export interface LambdaEndpointOptions {
  /** The functions that can be invoked, by function name. */
  readonly functions: Readonly<Record<string, LocalFunction>>;
  /**
   * TCP port on 127.0.0.1.
   * @default 0 (a free port)
   */
  readonly port?: number;
  /**
   * Each function's timeout: the context counts down from it and a handler
   * still running when it ends fails with a timeout, as on AWS.
   * @default DEFAULT_FUNCTION_TIMEOUT_MS (900 s)
   */
  readonly timeoutMs?: number;
  /**
   * Retries of a failed async invocation before it is dead-lettered.
   * @default 2 (Lambda's default)
   */
  readonly maxRetries?: number;
  /**
   * Pause before the first retry; the n-th retry waits n times as long.
   * Lambda waits minutes; locally a second keeps the loop short.
   * @default 1000
   */
  readonly retryDelayMs?: number;
  /**
   * How long `stop()` waits for invocations still running.
   * @default 30000
   */
  readonly stopWaitMs?: number;
  /**
   * Where invocation failures are logged.
   * @default localRuntimeLogger
   */
  readonly logger?: Logger;
}

/** An async invocation that failed every attempt. */
export interface DeadLetter {
  readonly functionName: string;
  readonly awsRequestId: string;
  readonly event: unknown;
  readonly attempts: number;
  readonly errorType: string;
  readonly errorMessage: string;
  /** ISO 8601 time of the last failure. */
  readonly failedAt: string;
}

/** The running local Lambda service. */
export interface LambdaEndpoint extends LocalEndpoint {
  /** Failed async invocations, oldest first (at most MAX_DEAD_LETTERS). */
  readonly deadLetters: readonly DeadLetter[];
  /**
   * Queues an async invocation in-process, as an EventBridge rule would.
   * @param functionName a function given at start
   * @param event the event
   * @returns the invocation's request id
   * @throws Error when the function is unknown or the endpoint stopped
   */
  invokeAsync(functionName: string, event: unknown): string;
  /**
   * Waits until no invocation is running, including ones started meanwhile.
   * @returns once idle
   */
  settled(): Promise<void>;
}

/** An error answered in the Lambda REST error shape. */
class InvokeApiError extends Error {
  constructor(
    readonly type: string,
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
    this.name = 'InvokeApiError';
  }
}

/**
 * Starts a local Lambda service for the SDK v3 `LambdaClient`'s `Invoke`
 * (`POST /2015-03-31/functions/{FunctionName}/invocations`). `Event`
 * invocations are answered 202 at once and run in the background with
 * Lambda's async retries; `RequestResponse` ones return the handler's
 * result; `DryRun` only checks the function exists.
 *
 * @param options the functions and how they run
 * @returns the endpoint, its dead letters, and `stop()`
 */
export async function startLambdaEndpoint(
  options: LambdaEndpointOptions,
): Promise<LambdaEndpoint> {
  const invoker = new Invoker(options);
  const server = createServer((request, response) => {
    void invoker.serve(request, response);
  });
  const address = await listenOnLoopback(server, options.port ?? 0);
  const stopWaitMs = options.stopWaitMs ?? 30_000;

  return {
    endpoint: loopbackUrl(address),
    get deadLetters() {
      return invoker.deadLetters;
    },
    invokeAsync: (name, event) => invoker.invokeAsync(name, event),
    settled: () => invoker.settled(),
    stop: async () => {
      await Promise.all([
        closeServer(server, stopWaitMs),
        invoker.stop(stopWaitMs),
      ]);
    },
  };
}

class Invoker {
  readonly deadLetters: DeadLetter[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private readonly stopping = new AbortController();
  private readonly log: Logger;

  constructor(private readonly options: LambdaEndpointOptions) {
    this.log = options.logger ?? localRuntimeLogger;
  }

  async serve(request: IncomingMessage, response: ServerResponse) {
    try {
      const path = new URL(request.url ?? '/', 'http://local').pathname;
      const match = INVOKE_PATH.exec(path);
      if (request.method !== 'POST' || !match?.[1]) {
        throw new InvokeApiError(
          'UnknownOperationException',
          404,
          `${request.method} ${path} is not an operation of the local Lambda; only Invoke is`,
        );
      }
      const name = functionNameOf(decodeURIComponent(match[1]));
      const type =
        request.headers['x-amz-invocation-type'] ?? 'RequestResponse';
      await this.dispatch(request, response, name, String(type));
    } catch (error) {
      this.refuse(response, error);
    }
  }

  invokeAsync(name: string, event: unknown): string {
    if (this.stopping.signal.aborted) {
      throw new Error(`the local Lambda is stopped; ${name} was not invoked`);
    }
    const handler = this.find(name);
    const awsRequestId = randomUUID();
    const run = this.runWithRetries(name, handler, event, awsRequestId);
    this.inFlight.add(run);
    void run.finally(() => this.inFlight.delete(run));

    return awsRequestId;
  }

  async settled(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all(this.inFlight);
  }

  async stop(waitMs: number): Promise<void> {
    this.stopping.abort();
    const timer = new AbortController();
    const timedOut = sleep(waitMs, 'timeout' as const, {
      signal: timer.signal,
    }).catch(() => 'settled' as const);
    const outcome = await Promise.race([this.settled(), timedOut]);
    timer.abort();
    if (outcome === 'timeout') {
      this.log.warn('local Lambda stopped with invocations running', {
        running: this.inFlight.size,
        waitMs,
      });
    }
  }

  private async dispatch(
    request: IncomingMessage,
    response: ServerResponse,
    name: string,
    type: string,
  ): Promise<void> {
    const handler = this.find(name);
    if (type === 'DryRun') {
      sendJson(response, 204, undefined);
    } else if (type === 'Event') {
      const event = await readEvent(request, MAX_ASYNC_PAYLOAD_BYTES);
      this.invokeAsync(name, event);
      sendJson(response, 202, undefined);
    } else if (type === 'RequestResponse') {
      const event = await readEvent(request, MAX_SYNC_PAYLOAD_BYTES);
      await this.runSync(response, name, handler, event);
    } else {
      throw new InvokeApiError(
        'InvalidParameterValueException',
        400,
        `InvocationType ${type} is not one of Event, RequestResponse, DryRun`,
      );
    }
  }

  private async runSync(
    response: ServerResponse,
    name: string,
    handler: LocalFunction,
    event: unknown,
  ): Promise<void> {
    const awsRequestId = randomUUID();
    const headers = {
      'x-amz-executed-version': '$LATEST',
      'x-amzn-requestid': awsRequestId,
    };
    try {
      const result = await this.runOnce(name, handler, event, awsRequestId);
      sendJson(response, 200, result ?? null, headers);
    } catch (error) {
      this.log.error('invocation failed', {
        functionName: name,
        awsRequestId,
        error,
      });
      sendJson(response, 200, describeError(error), {
        ...headers,
        'x-amz-function-error': 'Unhandled',
      });
    }
  }

  private async runWithRetries(
    name: string,
    handler: LocalFunction,
    event: unknown,
    awsRequestId: string,
  ): Promise<void> {
    const maxRetries = this.options.maxRetries ?? 2;
    const delayMs = this.options.retryDelayMs ?? 1_000;
    for (let attempt = 1; ; attempt += 1) {
      try {
        await this.runOnce(name, handler, event, awsRequestId);
        return;
      } catch (error) {
        const fields = { functionName: name, awsRequestId, attempt, error };
        if (attempt > maxRetries || this.stopping.signal.aborted) {
          this.deadLetter(name, event, awsRequestId, attempt, error);
          return;
        }
        this.log.warn('async invocation failed; retrying', fields);
        await sleep(delayMs * attempt, undefined, {
          signal: this.stopping.signal,
        }).catch(() => undefined);
      }
    }
  }

  private async runOnce(
    name: string,
    handler: LocalFunction,
    event: unknown,
    awsRequestId: string,
  ): Promise<unknown> {
    const timeoutMs = this.options.timeoutMs ?? DEFAULT_FUNCTION_TIMEOUT_MS;
    const context = createLambdaContext({
      functionName: name,
      awsRequestId,
      timeoutMs,
    });

    return runWithTimeout(
      () => handler(event, context),
      timeoutMs,
      () => new FunctionTimeoutError(name, timeoutMs),
    );
  }

  private deadLetter(
    name: string,
    event: unknown,
    awsRequestId: string,
    attempts: number,
    error: unknown,
  ): void {
    this.log.error('async invocation dead-lettered', {
      functionName: name,
      awsRequestId,
      attempts,
      error,
    });
    const { errorType, errorMessage } = describeError(error);
    this.deadLetters.push({
      functionName: name,
      awsRequestId,
      event,
      attempts,
      errorType,
      errorMessage,
      failedAt: new Date().toISOString(),
    });
    if (this.deadLetters.length > MAX_DEAD_LETTERS) this.deadLetters.shift();
  }

  private find(name: string): LocalFunction {
    const { functions } = this.options;
    const handler = Object.hasOwn(functions, name)
      ? functions[name]
      : undefined;
    if (!handler) {
      throw new InvokeApiError(
        'ResourceNotFoundException',
        404,
        `Function not found: ${name}; the local runtime knows ${Object.keys(functions).join(', ')}`,
      );
    }

    return handler;
  }

  private refuse(response: ServerResponse, error: unknown): void {
    const failure =
      error instanceof InvokeApiError
        ? error
        : error instanceof BodyTooLargeError
          ? new InvokeApiError('RequestTooLargeException', 413, error.message)
          : new InvokeApiError(
              'ServiceException',
              500,
              'the local Lambda failed; see its log',
            );
    if (failure.statusCode >= 500) {
      this.log.error('invoke request failed', { error });
    }
    sendJson(
      response,
      failure.statusCode,
      { Type: 'User', Message: failure.message },
      { 'x-amzn-errortype': failure.type },
    );
  }
}

/** A handler ran past its function's timeout. */
class FunctionTimeoutError extends Error {
  constructor(functionName: string, timeoutMs: number) {
    super(
      `${functionName} timed out after ${(timeoutMs / 1000).toFixed(2)} seconds`,
    );
    this.name = 'FunctionTimeoutError';
  }
}

/**
 * Accepts a plain name, `name:qualifier`, a partial ARN
 * (`account:function:name`) or a full ARN, as Invoke does.
 */
function functionNameOf(identifier: string): string {
  const parts = identifier.split(':');
  const marker = parts.indexOf('function');

  return (marker >= 0 ? parts[marker + 1] : parts[0]) ?? identifier;
}

async function readEvent(
  request: IncomingMessage,
  maxBytes: number,
): Promise<unknown> {
  const body = await readRequestBody(request, maxBytes);
  if (body.length === 0) return {};
  try {
    return JSON.parse(body.toString('utf8'));
  } catch (error) {
    throw new InvokeApiError(
      'InvalidRequestContentException',
      400,
      `the payload is not JSON: ${(error as Error).message}`,
    );
  }
}

/** The payload Lambda returns for a function error. */
function describeError(error: unknown): {
  errorType: string;
  errorMessage: string;
  trace: string[];
} {
  const failure = error instanceof Error ? error : new Error(String(error));

  return {
    errorType: failure.name,
    errorMessage: failure.message,
    trace: failure.stack?.split('\n') ?? [],
  };
}
