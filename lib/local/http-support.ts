import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '@aws-lambda-powertools/logger';
import { TechmailError } from '../../functions/commons/errors.js';
import { logger } from '../../functions/commons/powertools/logger.js';

/**
 * The only address the local runtime listens on or talks to: nothing it
 * starts may be reachable from another machine.
 */
export const LOOPBACK_HOST = '127.0.0.1';

/** Region every local stand-in reports and every ARN it builds uses. */
export const LOCAL_REGION = 'us-east-1';

/** Account id in the ARNs the local stand-ins build; no real account. */
export const LOCAL_ACCOUNT_ID = '000000000000';

/**
 * The local runtime's own logger: a child of the service logger, so it has
 * its settings but not the Lambda context that the handlers running in this
 * process put on the service logger.
 */
export const localRuntimeLogger: Logger = logger.createChild({
  persistentKeys: { component: 'local-runtime' },
});

/** A local stand-in for an AWS service, reachable by the SDK. */
export interface LocalEndpoint {
  /** Base URL for the SDK's `AWS_ENDPOINT_URL_<SERVICE>` variable. */
  readonly endpoint: string;
  /**
   * Stops accepting requests and releases the port.
   * @returns once the server is closed
   */
  stop(): Promise<void>;
}

/** A request body went over the limit of the endpoint that read it. */
export class BodyTooLargeError extends TechmailError {
  /**
   * @param limitBytes the limit that was exceeded
   */
  constructor(readonly limitBytes: number) {
    super(
      `request body is larger than ${limitBytes} bytes; send a smaller body`,
    );
    this.name = 'BodyTooLargeError';
  }
}

/**
 * Reads a whole request body, refusing to buffer more than a limit so a
 * runaway client cannot exhaust the process's memory. Past the limit the
 * rest is drained unbuffered, so the client still reads the error response.
 *
 * @param request the incoming request
 * @param maxBytes most bytes accepted
 * @returns the body bytes
 * @throws BodyTooLargeError when the body is larger than `maxBytes`
 */
export function readRequestBody(
  request: IncomingMessage,
  maxBytes: number,
): Promise<Buffer> {
  const declared = Number(request.headers['content-length']);
  if (declared > maxBytes) {
    request.resume();
    return Promise.reject(new BodyTooLargeError(maxBytes));
  }

  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const collect = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > maxBytes) {
        request.off('data', collect);
        request.resume();
        reject(new BodyTooLargeError(maxBytes));
        return;
      }
      chunks.push(chunk);
    };
    request.on('data', collect);
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

/**
 * Writes a JSON response with an exact content length.
 *
 * @param response the response to write
 * @param statusCode HTTP status
 * @param body value serialised as JSON; `undefined` sends no body
 * @param headers extra headers
 * @default headers {}
 */
export function sendJson(
  response: ServerResponse,
  statusCode: number,
  body: unknown,
  headers: Readonly<Record<string, string>> = {},
): void {
  const payload =
    body === undefined ? Buffer.alloc(0) : Buffer.from(JSON.stringify(body));
  response.writeHead(statusCode, {
    'content-type': 'application/json',
    ...headers,
    'content-length': String(payload.length),
  });
  response.end(payload);
}

/**
 * Starts a server on the loopback interface.
 *
 * @param server the server to start
 * @param port TCP port; 0 picks a free one
 * @returns the bound address
 */
export function listenOnLoopback(
  server: Server,
  port: number,
): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, LOOPBACK_HOST, () => {
      server.off('error', reject);
      resolve(server.address() as AddressInfo);
    });
  });
}

/**
 * The base URL of a server bound on the loopback interface.
 *
 * @param address the bound address
 * @returns `http://127.0.0.1:<port>`
 */
export function loopbackUrl(address: AddressInfo): string {
  return `http://${LOOPBACK_HOST}:${address.port}`;
}

/**
 * Closes a server. Node closes idle keep-alive connections itself; busy ones
 * are cut after a grace period so a stuck client cannot hold up a stop.
 *
 * @param server the server to close
 * @param graceMs how long busy connections may finish
 * @returns once the server is closed
 */
export function closeServer(server: Server, graceMs: number): Promise<void> {
  if (!server.listening) return Promise.resolve();

  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => server.closeAllConnections(), graceMs);
    timer.unref();
    server.close((error) => {
      clearTimeout(timer);
      if (error) reject(error);
      else resolve();
    });
  });
}
