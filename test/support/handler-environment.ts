import { vi } from 'vitest';
import {
  INCIDENTS_TABLE,
  MAILBOXES_TABLE,
  RUNS_TABLE,
} from '../../functions/store/tables.js';
import {
  startTestStores,
  TEST_AWS,
  type TestStores,
  UNUSED_LOCAL_ENDPOINT,
} from './stores.js';

/** Bucket name the handlers are configured with. */
export const TEST_BUCKET = 'techmail-test-blobs';

/** Function name runs are invoked on. */
export const TEST_FUNCTION_NAME = 'techmail-test-run';

/**
 * Starts dynalite and sets the environment a handler module reads at init:
 * table names, bucket, function name, fake credentials, DynamoDB aimed at
 * dynalite, and every other AWS endpoint aimed at a dead loopback port
 * (tests mock those clients; a missed mock fails instead of going out).
 * Logs and metrics are switched off. Import the handler module after this.
 *
 * @returns stores over the same dynalite; `stop` also restores the env
 */
export async function startHandlerEnvironment(): Promise<TestStores> {
  const stores = await startTestStores();
  const env: Record<string, string> = {
    [MAILBOXES_TABLE.envVar]: MAILBOXES_TABLE.localName,
    [RUNS_TABLE.envVar]: RUNS_TABLE.localName,
    [INCIDENTS_TABLE.envVar]: INCIDENTS_TABLE.localName,
    BLOB_BUCKET: TEST_BUCKET,
    TECHMAIL_FUNCTION_NAME: TEST_FUNCTION_NAME,
    AWS_REGION: TEST_AWS.region,
    AWS_ACCESS_KEY_ID: TEST_AWS.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: TEST_AWS.credentials.secretAccessKey,
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_ENDPOINT_URL_DYNAMODB: stores.endpoint,
    AWS_ENDPOINT_URL_S3: UNUSED_LOCAL_ENDPOINT,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: UNUSED_LOCAL_ENDPOINT,
    AWS_ENDPOINT_URL_LAMBDA: UNUSED_LOCAL_ENDPOINT,
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    POWERTOOLS_METRICS_DISABLED: 'true',
  };
  for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);

  return {
    ...stores,
    async stop() {
      vi.unstubAllEnvs();
      await stores.stop();
    },
  };
}
