import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger } from '@aws-lambda-powertools/logger';
import {
  GetObjectCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  type BlobServer,
  LOCAL_BUCKET,
  S3RVER_CREDENTIALS,
  startBlobServer,
} from '../../../lib/local/blob-server.js';

describe('startBlobServer', () => {
  const logger = new Logger({ logLevel: 'SILENT' });
  let dir: string;
  let server: BlobServer | undefined;
  let client: S3Client;

  const start = async (): Promise<void> => {
    server = await startBlobServer({ directory: join(dir, 's3'), logger });
    client = new S3Client({
      endpoint: server.endpoint,
      forcePathStyle: true,
      region: 'us-east-1',
      credentials: S3RVER_CREDENTIALS,
    });
  };

  const stop = async (): Promise<void> => {
    client.destroy();
    await server?.stop();
    server = undefined;
  };

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'techmail-blobs-'));
    await start();
  });

  afterEach(async () => {
    vi.restoreAllMocks();
    await stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('listens on 127.0.0.1 with the service bucket created', async () => {
    await client.send(
      new PutObjectCommand({
        Bucket: LOCAL_BUCKET,
        Key: 'raw/m1/a.eml',
        Body: 'Subject: hi\r\n\r\nbody',
      }),
    );

    expect(server?.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(server?.bucket).toBe(LOCAL_BUCKET);
  });

  it('keeps objects across a restart', async () => {
    await client.send(
      new PutObjectCommand({
        Bucket: LOCAL_BUCKET,
        Key: 'attachments/a.txt',
        Body: 'kept',
      }),
    );

    await stop();
    await start();
    const read = await client.send(
      new GetObjectCommand({ Bucket: LOCAL_BUCKET, Key: 'attachments/a.txt' }),
    );

    expect(await read.Body?.transformToString()).toBe('kept');
  });

  it('routes a refused request to the logger, not the console', async () => {
    const debug = vi.spyOn(logger, 'debug');
    const consoleLog = vi.spyOn(console, 'log');
    const consoleError = vi.spyOn(console, 'error');

    const read = client.send(
      new GetObjectCommand({ Bucket: LOCAL_BUCKET, Key: 'missing' }),
    );

    await expect(read).rejects.toMatchObject({ name: 'NoSuchKey' });
    expect(debug).toHaveBeenCalledWith('local S3 refused a request', {
      code: 'NoSuchKey',
    });
    expect(consoleLog).not.toHaveBeenCalled();
    expect(consoleError).not.toHaveBeenCalled();
  });
});
