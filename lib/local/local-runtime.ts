import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Logger } from '@aws-lambda-powertools/logger';
import { DEFAULT_SECRET_PREFIX } from '../../functions/commons/config.js';
import { ValidationError } from '../../functions/commons/errors.js';
import { TABLES } from '../../functions/store/tables.js';
import type { ApiHandler, ApiRoute } from './api-routes.js';
import { DEFAULT_API_PORT, startApiServer } from './api-server.js';
import {
  LOCAL_BUCKET,
  S3RVER_CREDENTIALS,
  startBlobServer,
} from './blob-server.js';
import { lockDataDir } from './data-dir-lock.js';
import { startDynamoDbLocal } from './dynamodb-local.js';
import { LOCAL_REGION, localRuntimeLogger } from './http-support.js';
import {
  type DeadLetter,
  type LambdaEndpointOptions,
  type LocalFunction,
  startLambdaEndpoint,
} from './lambda-endpoint.js';
import { parseScheduleSwitch, startScheduler } from './scheduler.js';
import { startSecretsManagerEndpoint } from './secrets-manager-endpoint.js';

/** Where the local data lives unless `TECHMAIL_DATA_DIR` says otherwise. */
export const DEFAULT_DATA_DIR = './.techmail';

/** Function names, as the handlers and the stack know them. */
export const FUNCTION_NAMES = {
  techmail: 'techmail',
  fanOut: 'fan-out',
  onDemand: 'on-demand',
  mailboxesApi: 'mailboxes-api',
  incidentsApi: 'incidents-api',
  quarantineApi: 'quarantine-api',
} as const;

/** The service's handlers, by role. */
export interface LocalHandlers {
  /** Runs one mailbox; async-invoked with `{ mailboxId, runId, trigger }`. */
  readonly techmail: LocalFunction;
  /** Invokes techmail per enabled mailbox; called by the schedule. */
  readonly fanOut: LocalFunction;
  /** `POST /mailboxes/{id}/runs`, `POST /runs`, `GET /runs/{runId}`. */
  readonly onDemand: ApiHandler;
  /** The `/mailboxes` routes. */
  readonly mailboxesApi: ApiHandler;
  /** The `/incidents` routes. */
  readonly incidentsApi: ApiHandler;
  /** The `/quarantine` routes. */
  readonly quarantineApi: ApiHandler;
}

/** Options of {@link startLocalRuntime}. */
export interface LocalRuntimeOptions {
  /**
   * Directory for the DynamoDB data, S3 objects and secrets file.
   * @default DEFAULT_DATA_DIR (`./.techmail`)
   */
  readonly dataDir?: string;
  /**
   * API port on 127.0.0.1; 0 picks a free one.
   * @default DEFAULT_API_PORT (3000)
   */
  readonly port?: number;
  /**
   * Whether the 15-minute schedule invokes fan-out.
   * @default true
   */
  readonly schedule?: boolean;
  /**
   * Time between scheduled fan-out invocations.
   * @default SCHEDULE_RATE_MS (15 minutes, the EventBridge rule's rate)
   */
  readonly scheduleRateMs?: number;
  /**
   * The handlers, or a loader called once the environment is set (SDK
   * clients read it when their module loads).
   * @default loadProductionHandlers
   */
  readonly handlers?: LocalHandlers | (() => Promise<LocalHandlers>);
  /**
   * How the local Lambda runs functions (timeout, async retries).
   * @default the local Lambda's defaults
   */
  readonly lambda?: Pick<
    LambdaEndpointOptions,
    'timeoutMs' | 'maxRetries' | 'retryDelayMs' | 'stopWaitMs'
  >;
  /**
   * The runtime's own logger.
   * @default localRuntimeLogger
   */
  readonly logger?: Logger;
}

/** Base URLs of the local AWS stand-ins. */
export interface LocalEndpoints {
  readonly dynamodb: string;
  readonly s3: string;
  readonly secretsManager: string;
  readonly lambda: string;
}

/** A running local runtime. */
export interface LocalRuntime {
  /** Base URL of the HTTP API, `http://127.0.0.1:<port>`. */
  readonly apiUrl: string;
  /** Absolute path of the data directory. */
  readonly dataDir: string;
  readonly endpoints: LocalEndpoints;
  /** Async invocations that failed every retry. */
  readonly deadLetters: readonly DeadLetter[];
  /**
   * Waits until no async invocation is running.
   * @returns once idle
   */
  settled(): Promise<void>;
  /**
   * Stops the schedule, the API, then the stand-ins, and restores the
   * environment variables it set. Safe to call more than once.
   * @returns once everything is stopped
   */
  stop(): Promise<void>;
}

/**
 * Imports the production handlers. Call only once the local environment is
 * set: their modules build SDK clients when they load.
 *
 * @returns each module's `handler` export
 */
export async function loadProductionHandlers(): Promise<LocalHandlers> {
  const [techmail, fanOut, onDemand, mailboxesApi, incidentsApi, quarantine] =
    await Promise.all([
      import('../../functions/techmail.js'),
      import('../../functions/fan-out.js'),
      import('../../functions/on-demand.js'),
      import('../../functions/mailboxes-api.js'),
      import('../../functions/incidents-api.js'),
      import('../../functions/quarantine-api.js'),
    ]);

  // Each handler checks its own event, so the Lambda service's untyped
  // payload may be handed to it as is.
  return {
    techmail: techmail.handler as LocalFunction,
    fanOut: fanOut.handler as LocalFunction,
    onDemand: onDemand.handler,
    mailboxesApi: mailboxesApi.handler,
    incidentsApi: incidentsApi.handler,
    quarantineApi: quarantine.handler,
  };
}

/**
 * The API's routes, as API Gateway has them.
 *
 * @param handlers the API handlers
 * @returns one route per method and resource
 */
export function buildApiRoutes(
  handlers: Pick<
    LocalHandlers,
    'onDemand' | 'mailboxesApi' | 'incidentsApi' | 'quarantineApi'
  >,
): ApiRoute[] {
  const mailboxes = {
    handler: handlers.mailboxesApi,
    functionName: FUNCTION_NAMES.mailboxesApi,
  };
  const onDemand = {
    handler: handlers.onDemand,
    functionName: FUNCTION_NAMES.onDemand,
  };
  const incidents = {
    handler: handlers.incidentsApi,
    functionName: FUNCTION_NAMES.incidentsApi,
  };
  const quarantine = {
    handler: handlers.quarantineApi,
    functionName: FUNCTION_NAMES.quarantineApi,
  };

  return [
    { method: 'POST', resource: '/mailboxes', ...mailboxes },
    { method: 'GET', resource: '/mailboxes', ...mailboxes },
    { method: 'GET', resource: '/mailboxes/{id}', ...mailboxes },
    { method: 'PATCH', resource: '/mailboxes/{id}', ...mailboxes },
    { method: 'DELETE', resource: '/mailboxes/{id}', ...mailboxes },
    { method: 'POST', resource: '/mailboxes/{id}/runs', ...onDemand },
    { method: 'POST', resource: '/runs', ...onDemand },
    { method: 'GET', resource: '/runs/{runId}', ...onDemand },
    { method: 'GET', resource: '/incidents', ...incidents },
    { method: 'GET', resource: '/incidents/{referenceNumber}', ...incidents },
    {
      method: 'GET',
      resource: '/incidents/{referenceNumber}/attachments/{sha256}',
      ...incidents,
    },
    { method: 'GET', resource: '/quarantine', ...quarantine },
    {
      method: 'POST',
      resource: '/quarantine/{mailboxId}/{sha256}/reprocess',
      ...quarantine,
    },
  ];
}

/**
 * The environment the handlers need to reach the stand-ins, and only them.
 * An `undefined` value means the variable is removed.
 *
 * @param endpoints the stand-ins' URLs
 * @returns variable names and values
 */
export function buildLocalEnvironment(
  endpoints: LocalEndpoints,
): Record<string, string | undefined> {
  return {
    AWS_REGION: LOCAL_REGION,
    AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
    // A real session token or an opt-out of endpoint variables in the
    // caller's shell must not leak in: the latter would send calls to AWS.
    AWS_SESSION_TOKEN: undefined,
    AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: undefined,
    AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb,
    AWS_ENDPOINT_URL_S3: endpoints.s3,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: endpoints.secretsManager,
    AWS_ENDPOINT_URL_LAMBDA: endpoints.lambda,
    // s3rver stores aws-chunked bodies (sent with default checksums) as is.
    AWS_REQUEST_CHECKSUM_CALCULATION: 'WHEN_REQUIRED',
    AWS_RESPONSE_CHECKSUM_VALIDATION: 'WHEN_REQUIRED',
    TECHMAIL_S3_FORCE_PATH_STYLE: 'true',
    ...Object.fromEntries(TABLES.map((t) => [t.envVar, t.localName])),
    BLOB_BUCKET: LOCAL_BUCKET,
    SECRET_PREFIX: DEFAULT_SECRET_PREFIX,
    TECHMAIL_FUNCTION_NAME: FUNCTION_NAMES.techmail,
  };
}

/**
 * Reads the runtime's options from `PORT`, `TECHMAIL_DATA_DIR` and
 * `TECHMAIL_SCHEDULE`.
 *
 * @param env the environment to read
 * @default process.env
 * @returns the options they give
 * @throws ValidationError naming the variable that is wrong
 */
export function readLocalRuntimeOptions(
  env: Readonly<Record<string, string | undefined>> = process.env,
): LocalRuntimeOptions {
  const port =
    env.PORT === undefined || env.PORT === '' ? undefined : Number(env.PORT);
  if (
    port !== undefined &&
    !(Number.isInteger(port) && port >= 0 && port <= 65_535)
  ) {
    throw new ValidationError(
      'PORT',
      'PORT must be a TCP port from 0 to 65535',
    );
  }

  return {
    port,
    dataDir: env.TECHMAIL_DATA_DIR || undefined,
    schedule: parseScheduleSwitch(env.TECHMAIL_SCHEDULE),
  };
}

/**
 * Starts the service on this machine: DynamoDB, S3, Secrets Manager and
 * Lambda stand-ins on 127.0.0.1, the environment that points the SDK at
 * them, the handlers, the API and the schedule. The handlers' SDK clients
 * keep the endpoints they were built with, so with the production handlers
 * run one runtime per process.
 *
 * @param options data directory, port, schedule and handlers
 * @default options {}
 * @returns the API URL, the stand-ins' endpoints and `stop()`
 */
export async function startLocalRuntime(
  options: LocalRuntimeOptions = {},
): Promise<LocalRuntime> {
  const log = options.logger ?? localRuntimeLogger;
  const dataDir = resolve(options.dataDir ?? DEFAULT_DATA_DIR);
  const cleanup: Array<() => unknown> = [];
  const stop = once(() => stopAll(cleanup, log));
  // Restored last: a handler still running while the stand-ins stop must
  // never build a client that points at AWS.
  let restoreEnvironment: (() => void) | undefined;
  cleanup.push(() => restoreEnvironment?.());
  try {
    await mkdir(dataDir, { recursive: true, mode: 0o700 });
    cleanup.push(await lockDataDir(dataDir));
    const dynamodb = await startDynamoDbLocal({ dataDir });
    cleanup.push(dynamodb.stop);
    const blobs = await startBlobServer({
      directory: join(dataDir, 's3'),
      logger: log,
    });
    cleanup.push(blobs.stop);
    const secrets = await startSecretsManagerEndpoint({
      filePath: join(dataDir, 'secrets', 'secrets.json'),
      logger: log,
    });
    cleanup.push(secrets.stop);

    let handlers: LocalHandlers | undefined;
    // Invocations arrive only once the handlers are loaded below.
    const late =
      (role: 'techmail' | 'fanOut'): LocalFunction =>
      (event, context) =>
        (handlers as LocalHandlers)[role](event, context);
    const lambda = await startLambdaEndpoint({
      ...options.lambda,
      functions: {
        [FUNCTION_NAMES.techmail]: late('techmail'),
        [FUNCTION_NAMES.fanOut]: late('fanOut'),
      },
      logger: log,
    });
    cleanup.push(lambda.stop);

    const endpoints: LocalEndpoints = {
      dynamodb: dynamodb.endpoint,
      s3: blobs.endpoint,
      secretsManager: secrets.endpoint,
      lambda: lambda.endpoint,
    };
    restoreEnvironment = setEnvironment(buildLocalEnvironment(endpoints));
    handlers = await resolveHandlers(options.handlers);

    const api = await startApiServer({
      routes: buildApiRoutes(handlers),
      port: options.port ?? DEFAULT_API_PORT,
      logger: log,
    });
    cleanup.push(api.stop);
    const scheduler = startScheduler({
      enabled: options.schedule ?? true,
      rateMs: options.scheduleRateMs,
      invoke: (event) => lambda.invokeAsync(FUNCTION_NAMES.fanOut, event),
      logger: log,
    });
    cleanup.push(scheduler.stop);

    log.info('local runtime started', {
      apiUrl: api.url,
      dataDir,
      schedule: scheduler.enabled,
    });

    return {
      apiUrl: api.url,
      dataDir,
      endpoints,
      get deadLetters() {
        return lambda.deadLetters;
      },
      settled: () => lambda.settled(),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

function resolveHandlers(
  handlers: LocalRuntimeOptions['handlers'],
): Promise<LocalHandlers> {
  if (handlers === undefined) return loadProductionHandlers();
  if (typeof handlers === 'function') return handlers();

  return Promise.resolve(handlers);
}

/**
 * Sets variables and returns what puts the previous values back, so tests
 * that start and stop a runtime leave the process as they found it.
 */
function setEnvironment(
  values: Readonly<Record<string, string | undefined>>,
): () => void {
  const previous = Object.keys(values).map(
    (name) => [name, process.env[name]] as const,
  );
  assignEnvironment(Object.entries(values));

  return () => assignEnvironment(previous);
}

function assignEnvironment(
  entries: ReadonlyArray<readonly [string, string | undefined]>,
): void {
  for (const [name, value] of entries) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
}

/** Stops in reverse start order; one failure does not strand the rest. */
async function stopAll(
  cleanup: Array<() => unknown>,
  log: Logger,
): Promise<void> {
  const failures: unknown[] = [];
  for (const step of cleanup.reverse()) {
    try {
      await step();
    } catch (error) {
      failures.push(error);
    }
  }
  if (failures.length > 0) {
    throw new AggregateError(
      failures,
      'the local runtime did not stop cleanly',
    );
  }
  log.info('local runtime stopped');
}

function once(action: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | undefined;

  return () => {
    running ??= action();
    return running;
  };
}
