import { describe, expect, it } from 'vitest';
import { readForcePathStyle } from '../../../functions/commons/clients/s3.js';
import {
  DEFAULT_LEASE_SECONDS,
  readConfig,
} from '../../../functions/commons/config.js';
import { ValidationError } from '../../../functions/commons/errors.js';

const ENV = {
  MAILBOXES_TABLE: 'techmail-mailboxes',
  RUNS_TABLE: 'techmail-runs',
  INCIDENTS_TABLE: 'techmail-incidents',
  BLOB_BUCKET: 'techmail-blobs',
  TECHMAIL_FUNCTION_NAME: 'techmail-run-mailbox',
};

function fieldOf(action: () => unknown): string | undefined {
  try {
    action();
  } catch (error) {
    if (error instanceof ValidationError) return error.field;
    throw error;
  }

  return undefined;
}

describe('readConfig', () => {
  it('reads the names and applies the defaults', () => {
    expect(readConfig(ENV)).toEqual({
      mailboxesTable: 'techmail-mailboxes',
      runsTable: 'techmail-runs',
      incidentsTable: 'techmail-incidents',
      blobBucket: 'techmail-blobs',
      secretPrefix: 'techmail/',
      functionName: 'techmail-run-mailbox',
      leaseSeconds: DEFAULT_LEASE_SECONDS,
    });
  });

  it('takes a secret prefix and lease length when given', () => {
    const config = readConfig({
      ...ENV,
      SECRET_PREFIX: 'acme/techmail/',
      TECHMAIL_LEASE_SECONDS: '600',
    });

    expect(config).toMatchObject({
      secretPrefix: 'acme/techmail/',
      leaseSeconds: 600,
    });
  });

  it.each(Object.keys(ENV))(
    'throws ValidationError naming %s when it is missing',
    (name) => {
      const env: Record<string, string | undefined> = {
        ...ENV,
        [name]: undefined,
      };

      expect(fieldOf(() => readConfig(env))).toBe(name);
    },
  );

  it.each([
    ['BLOB_BUCKET', 'Not_A_Bucket'],
    ['RUNS_TABLE', 'x'],
    ['SECRET_PREFIX', 'has space/'],
    ['TECHMAIL_LEASE_SECONDS', '0'],
    ['TECHMAIL_LEASE_SECONDS', '15m'],
    ['TECHMAIL_LEASE_SECONDS', '86401'],
  ])('throws ValidationError naming %s when it is %j', (name, value) => {
    expect(fieldOf(() => readConfig({ ...ENV, [name]: value }))).toBe(name);
  });
});

describe('readForcePathStyle', () => {
  it('is off unless the variable says true', () => {
    expect(readForcePathStyle({})).toBe(false);
    expect(readForcePathStyle({ TECHMAIL_S3_FORCE_PATH_STYLE: 'false' })).toBe(
      false,
    );
    expect(readForcePathStyle({ TECHMAIL_S3_FORCE_PATH_STYLE: 'true' })).toBe(
      true,
    );
  });

  it('throws ValidationError naming the variable for other values', () => {
    const env = { TECHMAIL_S3_FORCE_PATH_STYLE: 'yes' };

    expect(fieldOf(() => readForcePathStyle(env))).toBe(
      'TECHMAIL_S3_FORCE_PATH_STYLE',
    );
  });
});
