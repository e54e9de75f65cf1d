import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import {
  GetObjectCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import {
  CreateSecretCommand,
  GetSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import {
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
} from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  buildApiRoutes,
  type LocalHandlers,
  type LocalRuntime,
  readLocalRuntimeOptions,
  startLocalRuntime,
} from '../../../lib/local/local-runtime.js';

/**
 * Test handlers that, like the production ones, build SDK clients from the
 * environment alone: no endpoint, credentials or region in code.
 */
function createTestHandlers(): LocalHandlers {
  const documents = () => DynamoDBDocumentClient.from(new DynamoDBClient({}));
  const s3 = () =>
    new S3Client({
      forcePathStyle: process.env.TECHMAIL_S3_FORCE_PATH_STYLE === 'true',
    });
  const reply = (statusCode: number, body: unknown) => ({
    statusCode,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const id = (event: APIGatewayProxyEvent) => event.pathParameters?.id ?? '';

  return {
    techmail: async (event) => {
      const { mailboxId, runId } = event as Record<string, string>;
      await documents().send(
        new PutCommand({
          TableName: process.env.RUNS_TABLE,
          Item: { pk: `RUN#${runId}`, sk: 'RUN', mailboxId, status: 'done' },
        }),
      );
      await s3().send(
        new PutObjectCommand({
          Bucket: process.env.BLOB_BUCKET,
          Key: `raw/${mailboxId}/${runId}.eml`,
          Body: 'Subject: hello\r\n\r\nbody',
        }),
      );
    },
    fanOut: async () => undefined,
    onDemand: async (event) => {
      const runId = `run-${id(event)}`;
      await new LambdaClient({}).send(
        new InvokeCommand({
          FunctionName: process.env.TECHMAIL_FUNCTION_NAME,
          InvocationType: 'Event',
          Payload: JSON.stringify({
            mailboxId: id(event),
            runId,
            trigger: 'on-demand',
          }),
        }),
      );
      return reply(202, { runId, status: 'queued' });
    },
    mailboxesApi: async (event) => {
      const secrets = new SecretsManagerClient({});
      if (event.httpMethod === 'POST') {
        const { name } = JSON.parse(event.body ?? '{}');
        await secrets.send(
          new CreateSecretCommand({
            Name: `${process.env.SECRET_PREFIX}${name}`,
            SecretString: 'pw',
          }),
        );
        return reply(201, { id: name });
      }
      const secretId = `${process.env.SECRET_PREFIX}${id(event)}`;
      const secret = await secrets.send(
        new GetSecretValueCommand({ SecretId: secretId }),
      );
      return reply(200, { hasPassword: secret.SecretString === 'pw' });
    },
    incidentsApi: async (event) => {
      const { Item } = await documents().send(
        new GetCommand({
          TableName: process.env.RUNS_TABLE,
          Key: {
            pk: `RUN#${event.pathParameters?.referenceNumber}`,
            sk: 'RUN',
          },
        }),
      );
      return Item
        ? reply(200, Item)
        : reply(404, { error: { code: 'NotFound' } });
    },
    quarantineApi: async () => reply(200, { items: [] }),
  };
}

describe('startLocalRuntime', () => {
  const logger = new Logger({ logLevel: 'SILENT' });
  let root: string;
  let dataDir: string;
  let runtime: LocalRuntime | undefined;

  const start = async (): Promise<LocalRuntime> => {
    runtime = await startLocalRuntime({
      dataDir,
      port: 0,
      schedule: false,
      handlers: async () => createTestHandlers(),
      logger,
    });

    return runtime;
  };

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'techmail-runtime-'));
    dataDir = join(root, 'data');
  });

  afterEach(async () => {
    vi.restoreAllMocks();
    await runtime?.stop();
    runtime = undefined;
    await rm(root, { recursive: true, force: true });
  });

  it('runs handlers that reach every stand-in through the environment', async () => {
    const local = await start();

    const queued = await fetch(`${local.apiUrl}/mailboxes/m1/runs`, {
      method: 'POST',
    });
    await local.settled();
    const run = await fetch(`${local.apiUrl}/incidents/run-m1`);

    expect(queued.status).toBe(202);
    expect(run.status).toBe(200);
    expect(await run.json()).toMatchObject({ mailboxId: 'm1', status: 'done' });
    expect(local.deadLetters).toEqual([]);
  });

  it('keeps tables, objects and secrets across stop and start', async () => {
    let local = await start();
    const created = await fetch(`${local.apiUrl}/mailboxes`, {
      method: 'POST',
      body: JSON.stringify({ name: 'm2' }),
    });
    await fetch(`${local.apiUrl}/mailboxes/m2/runs`, { method: 'POST' });
    await local.settled();

    await local.stop();
    local = await start();
    const run = await fetch(`${local.apiUrl}/incidents/run-m2`);
    const mailbox = await fetch(`${local.apiUrl}/mailboxes/m2`);
    const raw = await new S3Client({ forcePathStyle: true }).send(
      new GetObjectCommand({
        Bucket: 'techmail-local',
        Key: 'raw/m2/run-m2.eml',
      }),
    );

    expect(created.status).toBe(201);
    expect(run.status).toBe(200);
    expect(await mailbox.json()).toEqual({ hasPassword: true });
    expect(await raw.Body?.transformToString()).toBe(
      'Subject: hello\r\n\r\nbody',
    );
  });

  it('points the SDK at its stand-ins on 127.0.0.1', async () => {
    const local = await start();

    expect(local.apiUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    for (const endpoint of Object.values(local.endpoints)) {
      expect(endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    }
    expect(process.env).toMatchObject({
      AWS_ENDPOINT_URL_DYNAMODB: local.endpoints.dynamodb,
      AWS_ENDPOINT_URL_S3: local.endpoints.s3,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: local.endpoints.secretsManager,
      AWS_ENDPOINT_URL_LAMBDA: local.endpoints.lambda,
      TECHMAIL_S3_FORCE_PATH_STYLE: 'true',
      MAILBOXES_TABLE: 'techmail-mailboxes',
      RUNS_TABLE: 'techmail-runs',
      INCIDENTS_TABLE: 'techmail-incidents',
      BLOB_BUCKET: 'techmail-local',
      SECRET_PREFIX: 'techmail/',
      TECHMAIL_FUNCTION_NAME: 'techmail',
    });
  });

  it('invokes fan-out with a scheduled event on the schedule', async () => {
    const events: unknown[] = [];
    runtime = await startLocalRuntime({
      dataDir,
      port: 0,
      scheduleRateMs: 20,
      handlers: async () => ({
        ...createTestHandlers(),
        fanOut: async (event) => {
          events.push(event);
        },
      }),
      logger,
    });

    await vi.waitFor(() => expect(events.length).toBeGreaterThan(0));

    expect(events[0]).toMatchObject({
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
    });
  });

  it('puts the environment back when stopped', async () => {
    const before = process.env.AWS_ENDPOINT_URL_DYNAMODB;
    const local = await start();

    await local.stop();

    expect(process.env.AWS_ENDPOINT_URL_DYNAMODB).toBe(before);
  });

  it('creates the data directory private to its owner', async () => {
    const local = await start();
    const created = await stat(local.dataDir);

    expect(local.dataDir).toBe(dataDir);
    expect(created.mode & 0o077).toBe(0);
  });

  it('logs one startup line with the API URL', async () => {
    const info = vi.spyOn(logger, 'info');

    const local = await start();

    expect(info).toHaveBeenCalledWith('local runtime started', {
      apiUrl: local.apiUrl,
      dataDir: local.dataDir,
      schedule: false,
    });
  });

  it('stops what it started when the handlers fail to load', async () => {
    const failed = startLocalRuntime({
      dataDir,
      port: 0,
      schedule: false,
      handlers: async () => {
        throw new Error('no handlers');
      },
      logger,
    });

    await expect(failed).rejects.toThrow('no handlers');
    expect(process.env.AWS_ENDPOINT_URL_LAMBDA).toBeUndefined();
  });
});

describe('buildApiRoutes', () => {
  it('gives every route of the HTTP API to its handler', () => {
    const handlers = createTestHandlers();

    const routes = buildApiRoutes(handlers).map(
      (route) => `${route.method} ${route.resource} ${route.functionName}`,
    );

    expect(routes).toEqual([
      'POST /mailboxes mailboxes-api',
      'GET /mailboxes mailboxes-api',
      'GET /mailboxes/{id} mailboxes-api',
      'PATCH /mailboxes/{id} mailboxes-api',
      'DELETE /mailboxes/{id} mailboxes-api',
      'POST /mailboxes/{id}/runs on-demand',
      'POST /runs on-demand',
      'GET /runs/{runId} on-demand',
      'GET /incidents incidents-api',
      'GET /incidents/{referenceNumber} incidents-api',
      'GET /incidents/{referenceNumber}/attachments/{sha256} incidents-api',
      'GET /quarantine quarantine-api',
      'POST /quarantine/{mailboxId}/{sha256}/reprocess quarantine-api',
    ]);
  });
});

describe('readLocalRuntimeOptions', () => {
  it('reads the port, data directory and schedule switch', () => {
    const options = readLocalRuntimeOptions({
      PORT: '3100',
      TECHMAIL_DATA_DIR: '/tmp/tm',
      TECHMAIL_SCHEDULE: 'off',
    });

    expect(options).toEqual({
      port: 3100,
      dataDir: '/tmp/tm',
      schedule: false,
    });
  });

  it('leaves unset variables to the defaults', () => {
    expect(readLocalRuntimeOptions({})).toEqual({
      port: undefined,
      dataDir: undefined,
      schedule: true,
    });
  });

  it('throws ValidationError naming PORT when it is not a port', () => {
    expect(() => readLocalRuntimeOptions({ PORT: 'http' })).toThrow(
      expect.objectContaining({ name: 'ValidationError', field: 'PORT' }),
    );
  });
});
