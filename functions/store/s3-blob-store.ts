import {
  GetObjectCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { toStoreError } from './errors.js';
import type { BlobStore } from './ports.js';

/** S3 error names of a conditional write that found the key taken. */
const PRESENT_ERROR_NAMES: ReadonlySet<string> = new Set([
  'PreconditionFailed',
  'ConditionalRequestConflict',
]);

/**
 * Raw messages, attachments and quarantined mail in one S3 bucket. Objects
 * are encrypted by the bucket's default encryption (set by the stack), so
 * no encryption header is sent: an S3 stand-in may reject one.
 */
export class S3BlobStore implements BlobStore {
  /**
   * @param client the S3 client
   * @param bucketName the bucket
   */
  constructor(
    private readonly client: S3Client,
    private readonly bucketName: string,
  ) {}

  /** Stores the bytes with their content type, replacing any object. */
  async put(key: string, body: Buffer, contentType: string): Promise<void> {
    try {
      await this.putObject(key, body, contentType);
    } catch (error) {
      throw toStoreError(error, 'blobs.put', `${this.bucketName}/${key}`);
    }
  }

  /**
   * Stores the bytes unless the key exists. S3 refuses the conditional
   * write with 412, or 409 when another writer is mid-way on the same key;
   * either way an object is (or is about to be) there.
   */
  async putIfAbsent(
    key: string,
    body: Buffer,
    contentType: string,
  ): Promise<void> {
    try {
      await this.putObject(key, body, contentType, { IfNoneMatch: '*' });
    } catch (error) {
      if (error instanceof Error && PRESENT_ERROR_NAMES.has(error.name)) {
        return;
      }
      throw toStoreError(
        error,
        'blobs.putIfAbsent',
        `${this.bucketName}/${key}`,
      );
    }
  }

  /** The object's bytes, or undefined when there is no such key. */
  async get(key: string): Promise<Buffer | undefined> {
    try {
      const result = await this.client.send(
        new GetObjectCommand({ Bucket: this.bucketName, Key: key }),
      );
      if (!result.Body) return Buffer.alloc(0);

      return Buffer.from(await result.Body.transformToByteArray());
    } catch (error) {
      if (error instanceof Error && error.name === 'NoSuchKey') {
        return undefined;
      }
      throw toStoreError(error, 'blobs.get', `${this.bucketName}/${key}`);
    }
  }

  private async putObject(
    key: string,
    body: Buffer,
    contentType: string,
    condition: { IfNoneMatch?: string } = {},
  ): Promise<void> {
    await this.client.send(
      new PutObjectCommand({
        Bucket: this.bucketName,
        Key: key,
        Body: body,
        ContentType: contentType,
        ...condition,
      }),
    );
  }
}
