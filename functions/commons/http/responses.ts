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
    body: JSON.stringify(body, wellFormed),
  };
}

/**
 * A `302 Found` to a short-lived URL, e.g. a presigned object-store link.
 * Not cached: the URL stops working soon.
 *
 * @param location the absolute URL to go to
 * @returns the proxy result, with an empty body
 */
export function redirectResponse(location: string): APIGatewayProxyResult {
  return {
    statusCode: 302,
    headers: { location, 'cache-control': 'no-store' },
    body: '',
  };
}

/**
 * Mail can carry text that decodes to lone UTF-16 surrogates (for example a
 * broken UTF-16 encoded word). JSON.stringify would emit them as `\ud800`
 * escapes that strict clients refuse, so they become U+FFFD here.
 */
function wellFormed(_key: string, value: unknown): unknown {
  return typeof value === 'string' ? value.toWellFormed() : value;
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
