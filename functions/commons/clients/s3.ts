import { S3Client } from '@aws-sdk/client-s3';
import { ValidationError } from '../errors.js';

/** Env var that switches S3 to path-style URLs (S3 stand-ins need it). */
export const FORCE_PATH_STYLE_ENV = 'TECHMAIL_S3_FORCE_PATH_STYLE';

/**
 * Whether S3 requests use path-style URLs. Virtual-hosted style puts the
 * bucket in the host name, which a stand-in on 127.0.0.1 cannot serve.
 *
 * @param env the environment to read
 * @default process.env
 * @returns true when `TECHMAIL_S3_FORCE_PATH_STYLE` is `true`
 * @throws ValidationError when the variable is neither `true` nor `false`
 */
export function readForcePathStyle(
  env: Readonly<Record<string, string | undefined>> = process.env,
): boolean {
  const value = env[FORCE_PATH_STYLE_ENV];
  if (value === undefined || value === '' || value === 'false') return false;
  if (value === 'true') return true;

  throw new ValidationError(
    FORCE_PATH_STYLE_ENV,
    `environment variable ${FORCE_PATH_STYLE_ENV} must be true or false`,
  );
}

/** The process's S3 client, built once at init. */
export const s3Client: S3Client = new S3Client({
  forcePathStyle: readForcePathStyle(),
});
