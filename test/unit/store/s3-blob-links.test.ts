import { S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { S3BlobLinks } from '../../../functions/store/s3-blob-links.js';

const BUCKET = 'techmail-links-test';

describe('S3BlobLinks', () => {
  describe('linkToGet', () => {
    it('signs a GET of the key with its lifetime and response headers, without a request', async () => {
      const client = new S3Client({
        region: 'eu-west-1',
        credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' },
      });
      const s3 = mockClient(client);
      const links = new S3BlobLinks(client, BUCKET);

      const link = await links.linkToGet('attachments/r/e/abc', {
        expiresInSeconds: 300,
        contentType: 'application/pdf',
        contentDisposition: 'attachment; filename="a.pdf"',
      });

      const url = new URL(link);
      expect(url.origin).toBe(`https://${BUCKET}.s3.eu-west-1.amazonaws.com`);
      expect(url.pathname).toBe('/attachments/r/e/abc');
      expect(Object.fromEntries(url.searchParams)).toMatchObject({
        'X-Amz-Algorithm': 'AWS4-HMAC-SHA256',
        'X-Amz-Expires': '300',
        'X-Amz-Credential': expect.stringMatching(
          /^AKIDTEST\/\d{8}\/eu-west-1\/s3\/aws4_request$/,
        ),
        'response-content-type': 'application/pdf',
        'response-content-disposition': 'attachment; filename="a.pdf"',
      });
      expect(s3.calls()).toEqual([]);
    });

    it('throws StoreError naming the key when there are no credentials to sign with', async () => {
      const client = new S3Client({
        region: 'eu-west-1',
        credentials: async () => {
          throw new Error('no credentials');
        },
      });
      const links = new S3BlobLinks(client, BUCKET);

      const link = links.linkToGet('bodies/r/e.json', { expiresInSeconds: 60 });

      await expect(link).rejects.toMatchObject({
        name: 'StoreError',
        target: `${BUCKET}/bodies/r/e.json`,
      });
    });
  });
});
