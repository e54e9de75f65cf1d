import type { APIGatewayProxyEvent } from 'aws-lambda';
import { ValidationError } from '../errors.js';

/** Request bodies above this are refused before parsing (memory abuse). */
export const MAX_REQUEST_BODY_BYTES = 64 * 1024;

/**
 * The request body as a JSON object.
 *
 * @param event the API Gateway event
 * @returns the parsed object
 * @throws ValidationError naming `body` when it is missing, too large, not
 *   JSON, or not an object
 */
export function readJsonObject(
  event: APIGatewayProxyEvent,
): Record<string, unknown> {
  const text = event.isBase64Encoded
    ? Buffer.from(event.body ?? '', 'base64').toString('utf8')
    : (event.body ?? '');
  if (text.trim() === '') {
    throw new ValidationError('body', 'body is required: send a JSON object');
  }
  if (Buffer.byteLength(text) > MAX_REQUEST_BODY_BYTES) {
    throw new ValidationError(
      'body',
      `body is larger than ${MAX_REQUEST_BODY_BYTES} bytes`,
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ValidationError('body', 'body is not valid JSON', {
      cause: error,
    });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ValidationError('body', 'body must be a JSON object');
  }

  return value as Record<string, unknown>;
}

/**
 * A path parameter that the route guarantees.
 *
 * @param event the API Gateway event
 * @param name the parameter's name in the route template
 * @returns its decoded value
 * @throws ValidationError when it is missing, empty or wrongly escaped
 */
export function pathParameter(
  event: APIGatewayProxyEvent,
  name: string,
): string {
  const value = event.pathParameters?.[name];
  if (!value) {
    throw new ValidationError(name, `path parameter ${name} is required`);
  }
  try {
    return decodeURIComponent(value);
  } catch (error) {
    throw new ValidationError(
      name,
      `path parameter ${name} has a malformed percent escape`,
      { cause: error },
    );
  }
}
