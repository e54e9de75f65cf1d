import { randomUUID } from 'node:crypto';
import {
  createServer,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { buildApiEvent } from './api-event.js';
import { type ApiRoute, GatewayError, RouteTable } from './api-routes.js';
import {
  BodyTooLargeError,
  closeServer,
  listenOnLoopback,
  localRuntimeLogger,
  loopbackUrl,
  readRequestBody,
  sendJson,
} from './http-support.js';
import { createLambdaContext, runWithTimeout } from './lambda-context.js';

/** Port of the local API unless `PORT` says otherwise. */
export const DEFAULT_API_PORT = 3000;

/**
 * Largest request body accepted. The API's bodies are small JSON documents;
 * anything near this size is a mistake or an attempt to exhaust memory.
 */
export const MAX_API_BODY_BYTES = 1024 * 1024;

/** API Gateway's integration timeout for REST APIs. */
export const API_TIMEOUT_MS = 29_000;

const CLOSE_GRACE_MS = 5_000;

/** Options of {@link startApiServer}. */
export interface ApiServerOptions {
  /** The routes; each method + resource pair at most once. */
  readonly routes: readonly ApiRoute[];
  /**
   * TCP port on 127.0.0.1; 0 picks a free one.
   * @default DEFAULT_API_PORT (3000)
   */
  readonly port?: number;
  /**
   * Largest request body; larger ones get 413.
   * @default MAX_API_BODY_BYTES (1 MiB)
   */
  readonly maxBodyBytes?: number;
  /**
   * How long a handler may take before the client gets 504.
   * @default API_TIMEOUT_MS (29 s)
   */
  readonly timeoutMs?: number;
  /**
   * Stage name in the events' `requestContext`.
   * @default 'local'
   */
  readonly stage?: string;
  /**
   * Where handler failures and request outcomes are logged.
   * @default localRuntimeLogger
   */
  readonly logger?: Logger;
}

/** The running local API. */
export interface ApiServer {
  /** Base URL, `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** The bound address; always 127.0.0.1. */
  readonly address: AddressInfo;
  /**
   * Stops accepting requests and lets running ones finish briefly.
   * @returns once the server is closed
   */
  stop(): Promise<void>;
}

/**
 * Starts the local stand-in for API Gateway on 127.0.0.1: each request
 * becomes a REST proxy event for the handler that owns its route, and the
 * handler's result becomes the response. Errors use the API's
 * `{ error: { code, message } }` shape; 5xx bodies stay generic.
 *
 * @param options routes, port and limits
 * @returns the URL, bound address and `stop()`
 * @throws ValidationError naming `routes` when a route is malformed
 */
export async function startApiServer(
  options: ApiServerOptions,
): Promise<ApiServer> {
  const routes = new RouteTable(options.routes);
  const log = options.logger ?? localRuntimeLogger;
  const server = createServer((request, response) => {
    void serve(routes, options, log, request, response);
  });
  const address = await listenOnLoopback(
    server,
    options.port ?? DEFAULT_API_PORT,
  );

  return {
    url: loopbackUrl(address),
    address,
    stop: () => closeServer(server, CLOSE_GRACE_MS),
  };
}

async function serve(
  routes: RouteTable,
  options: ApiServerOptions,
  log: Logger,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const requestId = randomUUID();
  const url = new URL(request.url ?? '/', 'http://localhost');
  const path = trimTrailingSlash(url.pathname);
  try {
    const { route, pathParameters } = routes.find(request.method ?? '', path);
    const body = await readRequestBody(
      request,
      options.maxBodyBytes ?? MAX_API_BODY_BYTES,
    );
    const event = buildApiEvent({
      request,
      path,
      query: url.searchParams,
      resource: route.resource,
      pathParameters,
      body,
      requestId,
      stage: options.stage ?? 'local',
    });
    const result = await runHandler(route, event, requestId, options, log);
    writeResult(response, result, requestId);
  } catch (error) {
    const failure = toGatewayError(error, log, requestId);
    if (response.headersSent) {
      response.destroy();
    } else {
      sendJson(
        response,
        failure.statusCode,
        { error: { code: failure.code, message: failure.message } },
        { ...failure.headers, 'x-amzn-requestid': requestId },
      );
    }
  }
  log.debug('api request served', {
    method: request.method,
    path,
    statusCode: response.statusCode,
    requestId,
  });
}

async function runHandler(
  route: ApiRoute,
  event: APIGatewayProxyEvent,
  requestId: string,
  options: ApiServerOptions,
  log: Logger,
): Promise<APIGatewayProxyResult> {
  const timeoutMs = options.timeoutMs ?? API_TIMEOUT_MS;
  const context = createLambdaContext({
    functionName: route.functionName ?? 'api',
    awsRequestId: requestId,
    timeoutMs,
  });
  try {
    return await runWithTimeout(
      () => route.handler(event, context),
      timeoutMs,
      () =>
        new GatewayError(
          504,
          'GatewayTimeout',
          'the request took too long; try again later',
        ),
    );
  } catch (error) {
    if (error instanceof GatewayError) throw error;
    log.error('api handler failed', {
      method: event.httpMethod,
      resource: event.resource,
      requestId,
      error,
    });
    throw new GatewayError(
      500,
      'InternalError',
      'the request could not be completed; try again later',
    );
  }
}

/**
 * Writes a proxy result back. A result API Gateway would reject as
 * malformed gets 502 here too, so the mistake shows up locally.
 */
function writeResult(
  response: ServerResponse,
  result: APIGatewayProxyResult,
  requestId: string,
): void {
  const status = (result as Partial<APIGatewayProxyResult> | null)?.statusCode;
  if (
    !Number.isInteger(status) ||
    Number(status) < 100 ||
    Number(status) > 599
  ) {
    throw new GatewayError(
      502,
      'BadGateway',
      'the handler gave no valid response',
    );
  }
  const body = Buffer.from(
    result.body ?? '',
    result.isBase64Encoded ? 'base64' : 'utf8',
  );
  const headers: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(result.headers ?? {})) {
    headers[name.toLowerCase()] = String(value);
  }
  for (const [name, values] of Object.entries(result.multiValueHeaders ?? {})) {
    headers[name.toLowerCase()] = values.map(String);
  }
  // The gateway frames the body itself, whatever the handler claimed.
  delete headers['content-length'];
  delete headers['transfer-encoding'];
  response.writeHead(Number(status), {
    ...headers,
    'content-length': String(body.length),
    'x-amzn-requestid': requestId,
  });
  response.end(body);
}

function toGatewayError(
  error: unknown,
  log: Logger,
  requestId: string,
): GatewayError {
  if (error instanceof GatewayError) return error;
  if (error instanceof BodyTooLargeError) {
    return new GatewayError(413, 'PayloadTooLarge', error.message, {
      connection: 'close',
    });
  }
  log.error('api response failed', { requestId, error });

  return new GatewayError(
    502,
    'BadGateway',
    'the handler gave no valid response',
  );
}

function trimTrailingSlash(path: string): string {
  return path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
}
