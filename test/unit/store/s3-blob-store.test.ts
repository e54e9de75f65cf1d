import {
  GetObjectCommand,
  type GetObjectCommandOutput,
  NoSuchKey,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { StoreError } from '../../../functions/store/errors.js';
import { S3BlobStore } from '../../../functions/store/s3-blob-store.js';

const BUCKET = 'techmail-blobs-test';

function bodyOf(bytes: Buffer): GetObjectCommandOutput['Body'] {
  return {
    transformToByteArray: async () => new Uint8Array(bytes),
  } as unknown as GetObjectCommandOutput['Body'];
}

describe('S3BlobStore', () => {
  const client = new S3Client({ region: 'us-east-1' });
  const s3 = mockClient(client);
  const blobs = new S3BlobStore(client, BUCKET);

  afterEach(() => {
    s3.reset();
  });

  describe('put', () => {
    it('stores the bytes with their content type and no encryption header', async () => {
      s3.on(PutObjectCommand).resolves({});
      const body = Buffer.from('From: a@example.test\r\n\r\nhello');

      await blobs.put('raw/mbx-1/abc', body, 'message/rfc822');

      const input = s3.commandCalls(PutObjectCommand)[0]?.args[0].input;
      expect(input).toEqual({
        Bucket: BUCKET,
        Key: 'raw/mbx-1/abc',
        Body: body,
        ContentType: 'message/rfc822',
      });
    });

    it('throws StoreError naming the key when S3 fails', async () => {
      s3.on(PutObjectCommand).rejects(new Error('socket hang up'));

      const attempt = blobs.put('raw/k', Buffer.from('x'), 'text/plain');

      await expect(attempt).rejects.toBeInstanceOf(StoreError);
      await expect(attempt).rejects.toMatchObject({
        target: `${BUCKET}/raw/k`,
        cause: expect.any(Error),
      });
    });
  });

  describe('putIfAbsent', () => {
    it('writes only when the key holds no object', async () => {
      s3.on(PutObjectCommand).resolves({});
      const body = Buffer.from('{"text":"hello"}');

      await blobs.putIfAbsent('bodies/r/e.json', body, 'application/json');

      const input = s3.commandCalls(PutObjectCommand)[0]?.args[0].input;
      expect(input).toEqual({
        Bucket: BUCKET,
        Key: 'bodies/r/e.json',
        Body: body,
        ContentType: 'application/json',
        IfNoneMatch: '*',
      });
    });

    it.each(['PreconditionFailed', 'ConditionalRequestConflict'])(
      'settles quietly when S3 answers %s because the key is taken',
      async (name) => {
        s3.on(PutObjectCommand).rejects(
          Object.assign(new Error('At least one of the preconditions failed'), {
            name,
          }),
        );

        const attempt = blobs.putIfAbsent('k', Buffer.from('x'), 'text/plain');

        await expect(attempt).resolves.toBeUndefined();
      },
    );

    it('throws StoreError naming the key for other failures', async () => {
      s3.on(PutObjectCommand).rejects(new Error('socket hang up'));

      const attempt = blobs.putIfAbsent('k', Buffer.from('x'), 'text/plain');

      await expect(attempt).rejects.toMatchObject({
        name: 'StoreError',
        target: `${BUCKET}/k`,
      });
    });
  });

  describe('get', () => {
    it('returns the stored bytes', async () => {
      const bytes = Buffer.from([0, 1, 2, 255]);
      s3.on(GetObjectCommand, { Bucket: BUCKET, Key: 'a' }).resolves({
        Body: bodyOf(bytes),
      });

      expect(await blobs.get('a')).toEqual(bytes);
    });

    it('returns undefined when there is no such key', async () => {
      s3.on(GetObjectCommand).rejects(
        new NoSuchKey({
          message: 'The specified key does not exist.',
          $metadata: {},
        }),
      );

      expect(await blobs.get('missing')).toBeUndefined();
    });

    it('throws StoreError for other failures', async () => {
      const denied = Object.assign(new Error('Access Denied'), {
        name: 'AccessDenied',
      });
      s3.on(GetObjectCommand).rejects(denied);

      await expect(blobs.get('a')).rejects.toMatchObject({
        name: 'StoreError',
        cause: denied,
      });
    });
  });
});
