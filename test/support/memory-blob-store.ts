import type { BlobStore } from '../../functions/store/ports.js';

/** One stored object of a {@link MemoryBlobStore}. */
export interface StoredBlob {
  readonly body: Buffer;
  readonly contentType: string;
}

/**
 * A {@link BlobStore} kept in a map, for unit tests that need to see what a
 * run wrote to the object store without S3.
 */
export class MemoryBlobStore implements BlobStore {
  /** Every object by key. */
  readonly objects = new Map<string, StoredBlob>();

  async put(key: string, body: Buffer, contentType: string): Promise<void> {
    this.objects.set(key, { body: Buffer.from(body), contentType });
  }

  async putIfAbsent(
    key: string,
    body: Buffer,
    contentType: string,
  ): Promise<void> {
    if (!this.objects.has(key)) await this.put(key, body, contentType);
  }

  async get(key: string): Promise<Buffer | undefined> {
    return this.objects.get(key)?.body;
  }
}
