import type { IncomingMessage } from 'node:http';
import type {
  APIGatewayEventIdentity,
  APIGatewayProxyEvent,
  APIGatewayProxyEventMultiValueHeaders,
} from 'aws-lambda';
import { LOCAL_ACCOUNT_ID } from './http-support.js';

/** Identifier reported as the API's id and resource id locally. */
const LOCAL_API_ID = 'local';

/** Where a request was routed to, and what it carried. */
export interface ApiEventInput {
  /** The incoming request (method, headers, peer). */
  readonly request: IncomingMessage;
  /** The URL path, without query string. */
  readonly path: string;
  /** The query string parameters, as parsed from the URL. */
  readonly query: URLSearchParams;
  /** The matched resource template, e.g. `/mailboxes/{id}`. */
  readonly resource: string;
  /** Values of the template's `{name}` segments; empty when none. */
  readonly pathParameters: Readonly<Record<string, string>>;
  /** The request body as read; empty means none. */
  readonly body: Buffer;
  /** The invocation's request id. */
  readonly requestId: string;
  /** The stage name in `requestContext`. */
  readonly stage: string;
}

/**
 * Builds the event API Gateway (REST, Lambda proxy integration) would pass
 * to a handler for this request. Fields that absent data would set to
 * `null` on AWS are `null` here too, so handlers meet the same shape.
 *
 * @param input the routed request
 * @returns the proxy event
 */
export function buildApiEvent(input: ApiEventInput): APIGatewayProxyEvent {
  const { request, path, resource, stage, requestId } = input;
  const method = request.method ?? 'GET';
  const multiValueHeaders = headersOf(request);
  const headers = lastValues(multiValueHeaders);
  const multiValueQuery: Record<string, string[]> = {};
  for (const [name, value] of input.query) {
    multiValueQuery[name] = [...(multiValueQuery[name] ?? []), value];
  }
  const hasQuery = Object.keys(multiValueQuery).length > 0;
  const hasParameters = Object.keys(input.pathParameters).length > 0;

  return {
    resource,
    path,
    httpMethod: method,
    headers,
    multiValueHeaders,
    queryStringParameters: hasQuery ? lastValues(multiValueQuery) : null,
    multiValueQueryStringParameters: hasQuery ? multiValueQuery : null,
    pathParameters: hasParameters ? { ...input.pathParameters } : null,
    stageVariables: null,
    body: input.body.length > 0 ? input.body.toString('utf8') : null,
    isBase64Encoded: false,
    requestContext: {
      accountId: LOCAL_ACCOUNT_ID,
      apiId: LOCAL_API_ID,
      authorizer: null,
      protocol: `HTTP/${request.httpVersion}`,
      httpMethod: method,
      identity: identityOf(request, headers),
      path: `/${stage}${path}`,
      stage,
      requestId,
      requestTimeEpoch: Date.now(),
      resourceId: LOCAL_API_ID,
      resourcePath: resource,
    },
  };
}

/** Header names keep the case the client sent, as on API Gateway. */
function headersOf(
  request: IncomingMessage,
): APIGatewayProxyEventMultiValueHeaders {
  const headers: Record<string, string[]> = {};
  const raw = request.rawHeaders;
  for (let index = 0; index + 1 < raw.length; index += 2) {
    const name = raw[index] as string;
    headers[name] = [...(headers[name] ?? []), raw[index + 1] as string];
  }

  return headers;
}

function lastValues(
  values: Readonly<Record<string, string[] | undefined>>,
): Record<string, string> {
  const last: Record<string, string> = {};
  for (const [name, list] of Object.entries(values)) {
    const value = list?.at(-1);
    if (value !== undefined) last[name] = value;
  }

  return last;
}

/**
 * No authorizer runs locally, so the IAM caller fields stay `null`; on AWS
 * SigV4 auth fills them in.
 */
function identityOf(
  request: IncomingMessage,
  headers: Readonly<Record<string, string>>,
): APIGatewayEventIdentity {
  const userAgent = Object.entries(headers).find(
    ([name]) => name.toLowerCase() === 'user-agent',
  )?.[1];

  return {
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
    sourceIp: request.socket.remoteAddress ?? '127.0.0.1',
    user: null,
    userAgent: userAgent ?? null,
    userArn: null,
  };
}
