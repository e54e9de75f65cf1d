import type { APIGatewayProxyEvent } from 'aws-lambda';
import { ValidationError } from '../errors.js';

/** Request bodies above this are refused before parsing (memory abuse). */
export const MAX_REQUEST_BODY_BYTES = 64 * 1024;

/**
 * Longest path parameter accepted. Ids and reference numbers are short; a
 * longer value can only be a mistake or a probe, and would otherwise reach
 * the store's key limits.
 */
export const MAX_PATH_PARAMETER_CHARS = 256;

/** Media types accepted for request bodies (any JSON flavour). */
const JSON_MEDIA_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;

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
  const contentType = event.headers?.['content-type'];
  if (contentType !== undefined && !JSON_MEDIA_TYPE.test(contentType)) {
    throw new ValidationError(
      'content-type',
      'content-type must be application/json',
    );
  }
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
  let decoded: string;
  try {
    decoded = decodeURIComponent(value);
  } catch (error) {
    throw new ValidationError(
      name,
      `path parameter ${name} has a malformed percent escape`,
      { cause: error },
    );
  }
  if (decoded.length > MAX_PATH_PARAMETER_CHARS) {
    throw new ValidationError(
      name,
      `path parameter ${name} is longer than ${MAX_PATH_PARAMETER_CHARS} characters`,
    );
  }

  return decoded;
}

const SHA256_HEX = /^[0-9a-f]{64}$/i;

/**
 * A path parameter that names content by its SHA-256 (an attachment, a
 * quarantined message).
 *
 * @param event the API Gateway event
 * @param name the parameter's name in the route template
 * @returns the digest in lower case
 * @throws ValidationError naming the parameter unless it is 64 hex digits
 */
export function sha256Parameter(
  event: APIGatewayProxyEvent,
  name: string,
): string {
  const value = pathParameter(event, name);
  if (!SHA256_HEX.test(value)) {
    throw new ValidationError(
      name,
      `path parameter ${name} must be a SHA-256 digest: 64 hex digits`,
    );
  }

  return value.toLowerCase();
}
