import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { toStoreError } from './errors.js';
import type { BlobLinkOptions, BlobLinks } from './ports.js';

/**
 * Presigned S3 GetObject URLs. Signing happens in the process with the
 * function's own credentials, so the role must be allowed to GetObject
 * what it links to, and a link dies with the credentials that signed it
 * if they expire before the link does.
 */
export class S3BlobLinks implements BlobLinks {
  /**
   * @param client the S3 client (its endpoint and path style shape the URL)
   * @param bucketName the bucket
   */
  constructor(
    private readonly client: S3Client,
    private readonly bucketName: string,
  ) {}

  /** A presigned GET of the key, served with the given headers. */
  async linkToGet(key: string, options: BlobLinkOptions): Promise<string> {
    const command = new GetObjectCommand({
      Bucket: this.bucketName,
      Key: key,
      ResponseContentType: options.contentType,
      ResponseContentDisposition: options.contentDisposition,
    });
    try {
      return await getSignedUrl(this.client, command, {
        expiresIn: options.expiresInSeconds,
      });
    } catch (error) {
      throw toStoreError(error, 'links.linkToGet', `${this.bucketName}/${key}`);
    }
  }
}
