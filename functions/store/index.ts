import type { S3Client } from '@aws-sdk/client-s3';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { documentClient } from '../commons/clients/dynamodb.js';
import { s3Client } from '../commons/clients/s3.js';
import { secretsManagerClient } from '../commons/clients/secrets-manager.js';
import { getConfig, type TechmailConfig } from '../commons/config.js';
import { DynamoIncidentStore } from './dynamo-incident-store.js';
import { DynamoLeaseStore } from './dynamo-lease-store.js';
import { DynamoMailboxStore } from './dynamo-mailbox-store.js';
import { DynamoRunStore } from './dynamo-run-store.js';
import type {
  BlobLinks,
  BlobStore,
  IncidentStore,
  LeaseStore,
  MailboxStore,
  RunStore,
  SecretStore,
} from './ports.js';
import { S3BlobLinks } from './s3-blob-links.js';
import { S3BlobStore } from './s3-blob-store.js';
import {
  SecretsManagerStore,
  type SecretsManagerStoreOptions,
} from './secrets-manager-store.js';

/** Every store the handlers use. */
export interface Stores {
  readonly mailboxes: MailboxStore;
  readonly leases: LeaseStore;
  readonly runs: RunStore;
  readonly incidents: IncidentStore;
  readonly blobs: BlobStore;
  /** Download links to objects of {@link blobs}' bucket. */
  readonly links: BlobLinks;
  readonly secrets: SecretStore;
}

/** SDK clients the stores talk through. */
export interface StoreClients {
  readonly dynamoDb: DynamoDBDocumentClient;
  readonly s3: S3Client;
  readonly secretsManager: SecretsManagerClient;
}

/**
 * Builds every store. Call it once per process (at init): the secret store
 * holds the password cache.
 *
 * @param config table, bucket and prefix names
 * @default getConfig()
 * @param clients the SDK clients
 * @default the module-scope clients of `commons/clients`
 * @param secretOptions deletion behaviour of the secret store
 * @default {}
 * @returns the stores
 * @example
 * const stores = createStores();
 * const mailbox = await stores.mailboxes.get(id);
 */
export function createStores(
  config: TechmailConfig = getConfig(),
  clients: StoreClients = {
    dynamoDb: documentClient,
    s3: s3Client,
    secretsManager: secretsManagerClient,
  },
  secretOptions: SecretsManagerStoreOptions = {},
): Stores {
  return {
    mailboxes: new DynamoMailboxStore(clients.dynamoDb, config.mailboxesTable),
    leases: new DynamoLeaseStore(clients.dynamoDb, config.mailboxesTable),
    runs: new DynamoRunStore(clients.dynamoDb, config.runsTable),
    incidents: new DynamoIncidentStore(clients.dynamoDb, config.incidentsTable),
    blobs: new S3BlobStore(clients.s3, config.blobBucket),
    links: new S3BlobLinks(clients.s3, config.blobBucket),
    secrets: new SecretsManagerStore(
      clients.secretsManager,
      config.secretPrefix,
      secretOptions,
    ),
  };
}
