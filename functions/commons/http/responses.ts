import type { APIGatewayProxyResult } from 'aws-lambda';

/**
 * A JSON response for API Gateway.
 *
 * @param statusCode the HTTP status
 * @param body what to serialise
 * @returns the proxy result
 */
export function jsonResponse(
  statusCode: number,
  body: unknown,
): APIGatewayProxyResult {
  return {
    statusCode,
    headers: {
      'content-type': 'application/json; charset=utf-8',
      'cache-control': 'no-store',
    },
    body: JSON.stringify(body),
  };
}

/**
 * The API's error shape, `{ error: { code, message, ...details } }`.
 *
 * @param statusCode the HTTP status
 * @param code a stable machine-readable code
 * @param message what was wrong; for 5xx a generic sentence
 * @param details extra fields such as the running `runId` of a 409
 * @returns the proxy result
 */
export function errorResponse(
  statusCode: number,
  code: string,
  message: string,
  details: Record<string, unknown> = {},
): APIGatewayProxyResult {
  return jsonResponse(statusCode, { error: { code, message, ...details } });
}
