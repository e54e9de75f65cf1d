import { mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import type { Logger } from '@aws-lambda-powertools/logger';
import {
  LOOPBACK_HOST,
  type LocalEndpoint,
  localRuntimeLogger,
  loopbackUrl,
} from './http-support.js';

/** The bucket the local runtime gives the service (`BLOB_BUCKET`). */
export const LOCAL_BUCKET = 'techmail-local';

/**
 * The access key s3rver knows. It accepts any SigV4 signature, but refuses
 * an access key id it has no account for.
 */
export const S3RVER_CREDENTIALS = {
  accessKeyId: 'S3RVER',
  secretAccessKey: 'S3RVER',
} as const;

/** Options of {@link startBlobServer}. */
export interface BlobServerOptions {
  /** Directory the objects are kept in, so they survive a restart. */
  readonly directory: string;
  /**
   * Bucket created at start if missing.
   * @default LOCAL_BUCKET
   */
  readonly bucket?: string;
  /**
   * TCP port on 127.0.0.1.
   * @default 0 (a free port)
   */
  readonly port?: number;
  /**
   * Where s3rver's failures go; its own console logging is silenced.
   * @default localRuntimeLogger
   */
  readonly logger?: Logger;
}

/** The running local S3. */
export interface BlobServer extends LocalEndpoint {
  /** The bucket created at start. */
  readonly bucket: string;
}

/** The part of s3rver's API used here; it ships no type declarations. */
interface S3rver {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
  on(
    event: 'error',
    listener: (error: Error & { status?: number; code?: string }) => void,
  ): unknown;
}

type S3rverConstructor = new (options: {
  address: string;
  port: number;
  silent: boolean;
  directory: string;
  vhostBuckets: boolean;
  configureBuckets: { name: string }[];
}) => S3rver;

/**
 * Starts s3rver on 127.0.0.1 with its objects under a directory and the
 * service's bucket created. Clients must use path-style addressing and
 * {@link S3RVER_CREDENTIALS}.
 *
 * @param options directory, bucket and port
 * @returns the endpoint, bucket and `stop()`
 */
export async function startBlobServer(
  options: BlobServerOptions,
): Promise<BlobServer> {
  const log = options.logger ?? localRuntimeLogger;
  const bucket = options.bucket ?? LOCAL_BUCKET;
  await mkdir(options.directory, { recursive: true });

  const S3rverServer = createRequire(import.meta.url)(
    's3rver',
  ) as S3rverConstructor;
  const server = new S3rverServer({
    address: LOOPBACK_HOST,
    port: options.port ?? 0,
    silent: true,
    directory: options.directory,
    vhostBuckets: false,
    configureBuckets: [{ name: bucket }],
  });
  // A listener replaces Koa's default one, which writes to the console.
  server.on('error', (error) => {
    if ((error.status ?? 500) < 500) {
      log.debug('local S3 refused a request', { code: error.code });
    } else {
      log.error('local S3 failed a request', { error });
    }
  });
  const address = await server.run();

  return {
    endpoint: loopbackUrl(address),
    bucket,
    stop: () => server.close(),
  };
}
