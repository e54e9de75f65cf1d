import { randomUUID } from 'node:crypto';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { createDocumentClient } from '../../functions/commons/clients/dynamodb.js';
import { readConfig } from '../../functions/commons/config.js';
import { defaultMailSettings } from '../../functions/mailboxes/mail-settings.js';
import type { Mailbox } from '../../functions/model.js';
import { createStores } from '../../functions/store/index.js';
import type {
  IncidentStore,
  LeaseStore,
  MailboxStore,
  NewMailbox,
  RunStore,
} from '../../functions/store/ports.js';
import {
  INCIDENTS_TABLE,
  MAILBOXES_TABLE,
  RUNS_TABLE,
} from '../../functions/store/tables.js';
import { startDynamoDbLocal } from '../../lib/local/dynamodb-local.js';
import { MemoryBlobStore } from './memory-blob-store.js';
import { MemorySecretStore } from './memory-secret-store.js';

/**
 * Fixed fake credentials: dynalite never checks them, and they keep the
 * SDK from looking for real ones on the machine.
 */
export const TEST_AWS = {
  region: 'us-east-1',
  credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
} as const;

/**
 * Where the S3 and Secrets Manager clients that the tests replace would
 * go: the discard port on loopback, so a slip fails fast and stays local.
 */
export const UNUSED_LOCAL_ENDPOINT = 'http://127.0.0.1:9';

/** Real DynamoDB stores on dynalite, with in-memory blobs and secrets. */
export interface TestStores {
  readonly mailboxes: MailboxStore;
  readonly leases: LeaseStore;
  readonly runs: RunStore;
  readonly incidents: IncidentStore;
  readonly blobs: MemoryBlobStore;
  readonly secrets: MemorySecretStore;
  /** The dynalite endpoint, for tests that build their own clients. */
  readonly endpoint: string;
  /** Stops dynalite and the clients; call it in afterAll. */
  stop(): Promise<void>;
}

/**
 * Starts in-memory dynalite on 127.0.0.1 with the service's tables and
 * builds the production stores over it with `createStores`. The blob and
 * secret stores are swapped for in-memory ones.
 *
 * @returns the stores and a stop function
 */
export async function startTestStores(): Promise<TestStores> {
  const db = await startDynamoDbLocal();
  const dynamoDb = createDocumentClient({ ...TEST_AWS, endpoint: db.endpoint });
  const s3 = new S3Client({ ...TEST_AWS, endpoint: UNUSED_LOCAL_ENDPOINT });
  const secretsManager = new SecretsManagerClient({
    ...TEST_AWS,
    endpoint: UNUSED_LOCAL_ENDPOINT,
  });
  const config = readConfig({
    [MAILBOXES_TABLE.envVar]: MAILBOXES_TABLE.localName,
    [RUNS_TABLE.envVar]: RUNS_TABLE.localName,
    [INCIDENTS_TABLE.envVar]: INCIDENTS_TABLE.localName,
    BLOB_BUCKET: 'techmail-test',
    TECHMAIL_FUNCTION_NAME: 'techmail-test',
  });
  const stores = createStores(config, { dynamoDb, s3, secretsManager });

  return {
    ...stores,
    blobs: new MemoryBlobStore(),
    secrets: new MemorySecretStore(),
    endpoint: db.endpoint,
    async stop() {
      dynamoDb.destroy();
      s3.destroy();
      secretsManager.destroy();
      await db.stop();
    },
  };
}

/**
 * Creates a mailbox with a unique id and account, and stores its password.
 *
 * @param stores where to create it
 * @param overrides fields to set instead of the defaults
 * @param password the password put in the secret store
 * @returns the stored mailbox
 */
export async function addMailbox(
  stores: Pick<TestStores, 'mailboxes' | 'secrets'>,
  overrides: Partial<NewMailbox> = {},
  password = 'pop-password',
): Promise<Mailbox> {
  const id = overrides.id ?? randomUUID();
  const input: NewMailbox = {
    id,
    name: `Support ${id.slice(0, 8)}`,
    popServer: 'pop.example.test',
    popPort: 995,
    security: 'tls',
    popAccount: `support-${id}`,
    interfaceId: 'brand-a',
    enabled: true,
    leaveOnServer: false,
    maxMessageBytes: 25 * 1024 * 1024,
    ...defaultMailSettings(`support-${id}`),
    secretName: `techmail/mailboxes/${id}`,
    ...overrides,
  };
  const mailbox = await stores.mailboxes.create(
    input,
    new Date('2026-12-01T08:00:00.000Z'),
  );
  await stores.secrets.putPassword(mailbox.secretName, password);

  return mailbox;
}
