import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import httpRouterHandler, { type Route } from '@middy/http-router';
import type {
  APIGatewayProxyEvent,
  APIGatewayProxyResult,
  Context,
} from 'aws-lambda';
import { ConflictError, NotFoundError, ValidationError } from '../errors.js';
import { logger } from '../powertools/logger.js';
import { errorResponse } from './responses.js';

/** A route of one of the API's functions. */
export type ApiRoute = Route<APIGatewayProxyEvent, APIGatewayProxyResult>;

/**
 * Turns a thrown error into the API's error shape. Client errors show their
 * message, which names the field; anything else is logged and answered with
 * a generic 500 so no internal detail reaches the client.
 *
 * @param error what the route threw
 * @returns the response to send
 */
export function errorToResponse(error: unknown): APIGatewayProxyResult {
  if (error instanceof ValidationError) {
    return errorResponse(400, 'ValidationError', error.message, {
      field: error.field,
    });
  }
  if (error instanceof NotFoundError) {
    return errorResponse(404, 'NotFound', error.message);
  }
  if (error instanceof ConflictError) {
    return errorResponse(409, 'Conflict', error.message, error.details);
  }
  const status = (error as { statusCode?: unknown }).statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    // The router answers an unknown route with a 404 of its own.
    const code = status === 404 ? 'NotFound' : 'BadRequest';
    return errorResponse(status, code, (error as Error).message);
  }
  logger.error('request failed', { error: error as Error });

  return errorResponse(
    500,
    'InternalError',
    'the request could not be completed; try again later',
  );
}

const errorMapper = (): middy.MiddlewareObj<
  APIGatewayProxyEvent,
  APIGatewayProxyResult
> => ({
  onError: async function mapErrorToResponse(request) {
    request.response = errorToResponse(request.error);
  },
});

/**
 * Builds an API function from its routes: headers normalised, Lambda
 * context in the logs (never the event: it may carry a password), errors
 * mapped to `{ error: { code, message } }`.
 *
 * @param routes method, path template and handler of each route
 * @returns the Lambda handler
 */
export function apiHandler(
  routes: ApiRoute[],
): middy.MiddyfiedHandler<
  APIGatewayProxyEvent,
  APIGatewayProxyResult,
  Error,
  Context
> {
  return middy<APIGatewayProxyEvent, APIGatewayProxyResult>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(httpHeaderNormalizer())
    .use(errorMapper())
    .handler(httpRouterHandler(routes));
}
