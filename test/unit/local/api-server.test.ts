import { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ApiRoute } from '../../../lib/local/api-routes.js';
import {
  type ApiServer,
  startApiServer,
} from '../../../lib/local/api-server.js';

const json = (statusCode: number, body: unknown) => ({
  statusCode,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

describe('startApiServer', () => {
  let server: ApiServer | undefined;
  const logger = new Logger({ logLevel: 'SILENT' });

  const start = async (
    routes: ApiRoute[],
    extra: { maxBodyBytes?: number; timeoutMs?: number } = {},
  ): Promise<string> => {
    server = await startApiServer({ routes, port: 0, logger, ...extra });

    return server.url;
  };

  afterEach(async () => {
    vi.restoreAllMocks();
    await server?.stop();
    server = undefined;
  });

  it('listens on 127.0.0.1 only', async () => {
    await start([]);

    expect(server?.address.address).toBe('127.0.0.1');
    expect(server?.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('passes the handler an API Gateway REST proxy event', async () => {
    const seen: Array<{ event: APIGatewayProxyEvent; context: Context }> = [];
    const url = await start([
      {
        method: 'PATCH',
        resource: '/mailboxes/{id}',
        functionName: 'mailboxes-api',
        handler: async (event, context) => {
          seen.push({ event, context });
          return json(200, { ok: true });
        },
      },
    ]);

    const response = await fetch(`${url}/mailboxes/mb%201?a=1&a=2&b=x`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json', 'x-custom': 'yes' },
      body: JSON.stringify({ enabled: false }),
    });

    expect(response.status).toBe(200);
    const [{ event, context }] = seen as [(typeof seen)[0]];
    expect(event).toMatchObject({
      httpMethod: 'PATCH',
      resource: '/mailboxes/{id}',
      path: '/mailboxes/mb%201',
      pathParameters: { id: 'mb 1' },
      queryStringParameters: { a: '2', b: 'x' },
      multiValueQueryStringParameters: { a: ['1', '2'], b: ['x'] },
      body: '{"enabled":false}',
      isBase64Encoded: false,
      stageVariables: null,
      requestContext: {
        httpMethod: 'PATCH',
        resourcePath: '/mailboxes/{id}',
        stage: 'local',
        path: '/local/mailboxes/mb%201',
        identity: { sourceIp: '127.0.0.1' },
      },
    });
    expect(event.headers['x-custom']).toBe('yes');
    expect(event.multiValueHeaders['x-custom']).toEqual(['yes']);
    expect(event.requestContext.requestId).toBe(context.awsRequestId);
    expect(response.headers.get('x-amzn-requestid')).toBe(context.awsRequestId);
    expect(context.functionName).toBe('mailboxes-api');
    expect(context.getRemainingTimeInMillis()).toBeLessThanOrEqual(29_000);
  });

  it('gives null parameters and body when the request has none', async () => {
    let event: APIGatewayProxyEvent | undefined;
    const url = await start([
      {
        method: 'GET',
        resource: '/mailboxes',
        handler: async (received) => {
          event = received;
          return json(200, []);
        },
      },
    ]);

    await fetch(`${url}/mailboxes/`);

    expect(event).toMatchObject({
      path: '/mailboxes',
      pathParameters: null,
      queryStringParameters: null,
      multiValueQueryStringParameters: null,
      body: null,
    });
  });

  it('writes the status, headers and body the handler returns', async () => {
    const url = await start([
      {
        method: 'POST',
        resource: '/runs',
        handler: async () => ({
          statusCode: 202,
          headers: { 'X-Run': 'r1' },
          multiValueHeaders: { 'Set-Cookie': ['a=1', 'b=2'] },
          body: '{"runs":[]}',
        }),
      },
    ]);

    const response = await fetch(`${url}/runs`, { method: 'POST' });

    expect(response.status).toBe(202);
    expect(response.headers.get('x-run')).toBe('r1');
    expect(response.headers.getSetCookie()).toEqual(['a=1', 'b=2']);
    expect(await response.json()).toEqual({ runs: [] });
  });

  it('routes a nested resource to its own handler', async () => {
    const url = await start([
      {
        method: 'GET',
        resource: '/mailboxes/{id}',
        handler: async () => json(200, { route: 'mailbox' }),
      },
      {
        method: 'POST',
        resource: '/mailboxes/{id}/runs',
        handler: async (event) => json(202, event.pathParameters),
      },
    ]);

    const response = await fetch(`${url}/mailboxes/m7/runs`, {
      method: 'POST',
    });

    expect(await response.json()).toEqual({ id: 'm7' });
  });

  it('answers 404 in the error shape for an unknown route', async () => {
    const url = await start([
      {
        method: 'GET',
        resource: '/incidents',
        handler: async () => json(200, {}),
      },
    ]);

    const response = await fetch(`${url}/nowhere`);

    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({
      error: { code: 'NotFound', message: expect.any(String) },
    });
  });

  it('answers 405 with the allowed methods for a wrong method', async () => {
    const url = await start([
      {
        method: 'GET',
        resource: '/incidents',
        handler: async () => json(200, {}),
      },
    ]);

    const response = await fetch(`${url}/incidents`, { method: 'DELETE' });

    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('GET');
    expect(await response.json()).toEqual({
      error: { code: 'MethodNotAllowed', message: expect.any(String) },
    });
  });

  it('answers 413 when the body is over the limit', async () => {
    const handler = vi.fn(async () => json(201, {}));
    const url = await start(
      [{ method: 'POST', resource: '/mailboxes', handler }],
      { maxBodyBytes: 1024 },
    );

    const response = await fetch(`${url}/mailboxes`, {
      method: 'POST',
      body: 'x'.repeat(4096),
    });

    expect(response.status).toBe(413);
    expect(await response.json()).toEqual({
      error: { code: 'PayloadTooLarge', message: expect.any(String) },
    });
    expect(handler).not.toHaveBeenCalled();
  });

  it('answers 413 when a streamed body without a length grows too big', async () => {
    const handler = vi.fn(async () => json(201, {}));
    const url = await start(
      [{ method: 'POST', resource: '/mailboxes', handler }],
      { maxBodyBytes: 1024 },
    );
    const chunk = new TextEncoder().encode('y'.repeat(512));
    let sent = 0;
    const body = new ReadableStream({
      pull(controller) {
        sent += 1;
        if (sent > 8) controller.close();
        else controller.enqueue(chunk);
      },
    });

    const response = await fetch(`${url}/mailboxes`, {
      method: 'POST',
      body,
      duplex: 'half',
    } as RequestInit);

    expect(response.status).toBe(413);
    expect(handler).not.toHaveBeenCalled();
  });

  it('answers a generic 500 and logs the error when a handler throws', async () => {
    const logged = vi.spyOn(logger, 'error');
    const url = await start([
      {
        method: 'GET',
        resource: '/incidents/{referenceNumber}',
        handler: async () => {
          throw new Error('table secret-internal-name is gone');
        },
      },
    ]);

    const response = await fetch(`${url}/incidents/261204-000001`);
    const text = await response.text();

    expect(response.status).toBe(500);
    expect(JSON.parse(text)).toEqual({
      error: { code: 'InternalError', message: expect.any(String) },
    });
    expect(text).not.toContain('secret-internal-name');
    expect(logged).toHaveBeenCalledWith(
      'api handler failed',
      expect.objectContaining({ error: expect.any(Error) }),
    );
  });

  it('answers 502 when a handler returns no status code', async () => {
    const url = await start([
      {
        method: 'GET',
        resource: '/incidents',
        handler: async () => ({ body: 'x' }) as never,
      },
    ]);

    const response = await fetch(`${url}/incidents`);

    expect(response.status).toBe(502);
  });

  it('answers 504 when a handler runs past the timeout', async () => {
    const url = await start(
      [
        {
          method: 'GET',
          resource: '/incidents',
          handler: () => new Promise(() => undefined),
        },
      ],
      { timeoutMs: 30 },
    );

    const response = await fetch(`${url}/incidents`);

    expect(response.status).toBe(504);
    expect(await response.json()).toMatchObject({
      error: { code: 'GatewayTimeout' },
    });
  });

  it('refuses a route whose resource is malformed', async () => {
    const started = startApiServer({
      routes: [{ method: 'GET', resource: 'mailboxes', handler: vi.fn() }],
      port: 0,
      logger,
    });

    await expect(started).rejects.toMatchObject({
      name: 'ValidationError',
      field: 'routes',
    });
  });
});
