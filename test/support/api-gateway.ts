import type { APIGatewayProxyEvent, Context } from 'aws-lambda';

/** What a test request carries besides its method and path. */
export interface ApiRequest {
  /** The route template, e.g. `/mailboxes/{id}`; defaults to the path. */
  readonly resource?: string;
  /** Values of the template's `{name}` segments. */
  readonly pathParameters?: Record<string, string>;
  /** Query string parameters. */
  readonly query?: Record<string, string>;
  /** An object is sent as JSON; a string is sent as it is. */
  readonly body?: unknown;
}

/**
 * Builds the event API Gateway (REST API, Lambda proxy integration) passes
 * for a request, with `null` wherever AWS sends null for absent data.
 *
 * @param method the HTTP method
 * @param path the request path, e.g. `/mailboxes/abc`
 * @param request template, parameters, query and body
 * @returns the proxy event
 * @example
 * await handler(apiEvent('POST', '/mailboxes', { body: { name } }), context);
 */
export function apiEvent(
  method: string,
  path: string,
  request: ApiRequest = {},
): APIGatewayProxyEvent {
  const body =
    request.body === undefined || typeof request.body === 'string'
      ? (request.body ?? null)
      : JSON.stringify(request.body);
  const headers = body === null ? {} : { 'Content-Type': 'application/json' };
  const query = request.query ?? null;
  const resource = request.resource ?? path;

  return {
    resource,
    path,
    httpMethod: method,
    headers,
    multiValueHeaders: Object.fromEntries(
      Object.entries(headers).map(([name, value]) => [name, [value]]),
    ),
    queryStringParameters: query,
    multiValueQueryStringParameters:
      query &&
      Object.fromEntries(
        Object.entries(query).map(([name, value]) => [name, [value]]),
      ),
    pathParameters: request.pathParameters ?? null,
    stageVariables: null,
    body,
    isBase64Encoded: false,
    requestContext: {
      accountId: '000000000000',
      apiId: 'test-api',
      authorizer: null,
      protocol: 'HTTP/1.1',
      httpMethod: method,
      identity: {
        accessKey: null,
        accountId: null,
        apiKey: null,
        apiKeyId: null,
        caller: null,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp: '127.0.0.1',
        user: null,
        userAgent: 'vitest',
        userArn: null,
      },
      path: `/test${path}`,
      stage: 'test',
      requestId: 'request-1',
      requestTimeEpoch: Date.parse('2026-12-04T12:00:00.000Z'),
      resourceId: 'resource-1',
      resourcePath: resource,
    },
  };
}

/**
 * A Lambda context with just what the middlewares read.
 *
 * @param functionName the function's name
 * @param remainingTimeMs what getRemainingTimeInMillis answers
 * @default 300_000
 * @returns the context
 */
export function lambdaContext(
  functionName: string,
  remainingTimeMs = 300_000,
): Context {
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${functionName}`,
    memoryLimitInMB: '512',
    awsRequestId: 'aws-request-1',
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'test-stream',
    getRemainingTimeInMillis: () => remainingTimeMs,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** A handler's JSON response, parsed. */
export interface JsonReply {
  readonly statusCode: number;
  /** The parsed body; undefined when it was empty. */
  readonly json: unknown;
  /** The body exactly as sent, for checks on what it must not contain. */
  readonly raw: string;
}

/**
 * Parses a proxy result's body.
 *
 * @param result what the handler returned
 * @returns status, parsed body and raw body
 */
export function readReply(result: {
  statusCode: number;
  body: string;
}): JsonReply {
  return {
    statusCode: result.statusCode,
    json: result.body === '' ? undefined : JSON.parse(result.body),
    raw: result.body,
  };
}

/** A Lambda handler of the API, as the tests call it. */
export type ApiFunction = (
  event: APIGatewayProxyEvent,
  context: Context,
) => Promise<{ statusCode: number; body: string }>;

/**
 * Builds a `call(method, path, request)` for one API function: it sends the
 * API Gateway event with a Lambda context of that name and reads the reply.
 *
 * @param handler returns the function's handler (it is often imported only
 *   after the test environment is set, so it is read at call time)
 * @param functionName the Lambda function's name in the context
 * @returns the caller
 * @example
 * const call = apiCaller(() => handler, 'mailboxes-api');
 * const reply = await call('GET', '/mailboxes');
 */
export function apiCaller(
  handler: () => ApiFunction,
  functionName: string,
): (method: string, path: string, request?: ApiRequest) => Promise<JsonReply> {
  return async (method, path, request = {}) =>
    readReply(
      await handler()(
        apiEvent(method, path, request),
        lambdaContext(functionName),
      ),
    );
}
