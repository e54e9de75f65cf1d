import { randomUUID } from 'node:crypto';
import {
  createServer,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import type { Logger } from '@aws-lambda-powertools/logger';
import {
  BodyTooLargeError,
  closeServer,
  type LocalEndpoint,
  listenOnLoopback,
  localRuntimeLogger,
  loopbackUrl,
  readRequestBody,
} from './http-support.js';
import {
  SecretsApiError,
  type SecretsFields,
  type SecretsOperation,
  SecretsStore,
} from './secrets-store.js';

/**
 * Largest request accepted. Secrets Manager caps a value at 64 KiB; the rest
 * leaves room for base64 and the other fields.
 */
export const MAX_SECRETS_REQUEST_BYTES = 256 * 1024;

const TARGET_PREFIX = 'secretsmanager.';
const CONTENT_TYPE = 'application/x-amz-json-1.1';
const CLOSE_GRACE_MS = 2_000;

/** Options of {@link startSecretsManagerEndpoint}. */
export interface SecretsManagerEndpointOptions {
  /** JSON file that holds the secrets; created with mode 0600. */
  readonly filePath: string;
  /**
   * TCP port on 127.0.0.1.
   * @default 0 (a free port)
   */
  readonly port?: number;
  /**
   * Where request outcomes are logged (never secret values).
   * @default localRuntimeLogger
   */
  readonly logger?: Logger;
}

/**
 * Starts a local Secrets Manager that speaks the AWS JSON 1.1 protocol of
 * the SDK v3 `SecretsManagerClient` (`CreateSecret`, `GetSecretValue`,
 * `PutSecretValue`, `DeleteSecret`, `DescribeSecret`). Secrets live in a
 * JSON file replaced atomically on every change, so a crash never leaves
 * half a file and the data survives a restart.
 *
 * @param options where the file is and which port to use
 * @returns the endpoint URL and `stop()`
 * @throws Error when the file exists but is not a secrets file
 */
export async function startSecretsManagerEndpoint(
  options: SecretsManagerEndpointOptions,
): Promise<LocalEndpoint> {
  const log = options.logger ?? localRuntimeLogger;
  const store = new SecretsStore(options.filePath);
  await store.load();
  const operations = store.operations();

  const server = createServer((request, response) => {
    void serve(operations, request, response, log);
  });
  const address = await listenOnLoopback(server, options.port ?? 0);

  return {
    endpoint: loopbackUrl(address),
    stop: () => closeServer(server, CLOSE_GRACE_MS),
  };
}

async function serve(
  operations: Readonly<Record<string, SecretsOperation>>,
  request: IncomingMessage,
  response: ServerResponse,
  log: Logger,
): Promise<void> {
  const target = String(request.headers['x-amz-target'] ?? '');
  const name = target.startsWith(TARGET_PREFIX)
    ? target.slice(TARGET_PREFIX.length)
    : target;
  try {
    const body = await readRequestBody(request, MAX_SECRETS_REQUEST_BYTES);
    const operation = Object.hasOwn(operations, name)
      ? operations[name]
      : undefined;
    if (request.method !== 'POST' || !operation) {
      throw new SecretsApiError(
        'UnknownOperationException',
        `operation ${target} is not supported by the local Secrets Manager; use one of ${Object.keys(operations).join(', ')}`,
      );
    }
    reply(response, 200, await operation(parseSecretsFields(body)));
    log.debug('secrets request served', { operation: name });
  } catch (error) {
    const failure = toApiError(error);
    if (failure.statusCode >= 500) {
      log.error('secrets request failed', { operation: name, error });
    } else {
      log.debug('secrets request refused', {
        operation: name,
        errorType: failure.type,
      });
    }
    reply(response, failure.statusCode, {
      __type: failure.type,
      message: failure.message,
    });
  }
}

function toApiError(error: unknown): SecretsApiError {
  if (error instanceof SecretsApiError) return error;
  if (error instanceof BodyTooLargeError) {
    return new SecretsApiError('InvalidRequestException', error.message, 413);
  }

  return new SecretsApiError(
    'InternalServiceError',
    'the local Secrets Manager failed; see its log',
    500,
  );
}

function reply(
  response: ServerResponse,
  status: number,
  body: SecretsFields,
): void {
  const payload = Buffer.from(JSON.stringify(body));
  response.writeHead(status, {
    'content-type': CONTENT_TYPE,
    'content-length': String(payload.length),
    'x-amzn-requestid': randomUUID(),
  });
  response.end(payload);
}

function parseSecretsFields(body: Buffer): SecretsFields {
  try {
    const input: unknown = JSON.parse(body.toString('utf8') || '{}');
    if (input && typeof input === 'object' && !Array.isArray(input)) {
      return input as SecretsFields;
    }
  } catch {
    // Reported below with the protocol's own error type.
  }
  throw new SecretsApiError(
    'SerializationException',
    'the request body must be a JSON object',
  );
}
