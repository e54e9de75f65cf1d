import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { createDocumentClient } from '../../../functions/commons/clients/dynamodb.js';
import {
  readConfig,
  type TechmailConfig,
} from '../../../functions/commons/config.js';
import { MailboxService } from '../../../functions/mailboxes/mailbox-service.js';
import { validateNewMailbox } from '../../../functions/mailboxes/validate-mailbox.js';
import type { Mailbox } from '../../../functions/model.js';
import { Pop3Session } from '../../../functions/pop3/pop3-session.js';
import { createStores, type Stores } from '../../../functions/store/index.js';
import { mailboxSecretName } from '../../../functions/store/secrets-manager-store.js';
import { TABLES } from '../../../functions/store/tables.js';
import type { MailSource } from '../../../functions/techmail/mail-source.js';
import { Pop3MailSource } from '../../../functions/techmail/pop3-mail-source.js';
import {
  LOCAL_BUCKET,
  S3RVER_CREDENTIALS,
  startBlobServer,
} from '../../../lib/local/blob-server.js';
import { startDynamoDbLocal } from '../../../lib/local/dynamodb-local.js';
import { startSecretsManagerEndpoint } from '../../../lib/local/secrets-manager-endpoint.js';
import { type DovecotServer, startDovecot } from '../dovecot.js';
import { SdkFaultInjector } from '../sdk-faults.js';

/**
 * Lease of the chaos runs: short, so a crashed run frees its mailbox
 * within seconds, yet longer than any message takes (renewal keeps it).
 */
export const CHAOS_LEASE_TTL_MS = 2_000;

/**
 * POP3 deadlines of the chaos runs. A stalled connection then fails in
 * seconds instead of the production 30 s, which keeps 200 cases short.
 */
export const CHAOS_POP3_TIMEOUTS = {
  commandTimeoutMs: 1_500,
  connectTimeoutMs: 1_500,
} as const;

/** Region and the credentials every local stand-in accepts. */
const LOCAL_AWS = { region: 'us-east-1', credentials: S3RVER_CREDENTIALS };

/** Where the stand-ins listen, for a child process to reach them too. */
export interface ChaosEndpoints {
  readonly dynamodb: string;
  readonly s3: string;
  readonly secretsManager: string;
}

/** Everything the chaos cases run against. */
export interface ChaosWorld {
  readonly dovecot: DovecotServer;
  /** The production stores over the stand-ins, through faulty clients. */
  readonly stores: Stores;
  readonly faults: SdkFaultInjector;
  readonly endpoints: ChaosEndpoints;
  readonly config: TechmailConfig;
  /** The POP3 account and password of case `index`. */
  account(index: number): { user: string; password: string };
  /**
   * Creates the product's mailbox for a case, as the admin API would.
   *
   * @param index the case
   * @param port where the mailbox's server is (the case's proxy)
   * @param plainText POP3 without TLS (security `none`)
   */
  addMailbox(index: number, port: number, plainText: boolean): Promise<Mailbox>;
  /** Opens a POP3 session the way the product does, trusting the test CA. */
  connect(mailbox: Mailbox, password: string): Promise<MailSource>;
  stop(): Promise<void>;
}

/**
 * Starts a private Dovecot with one account per case and the local
 * DynamoDB, S3 and Secrets Manager stand-ins, all on 127.0.0.1, and builds
 * the production stores over SDK clients that carry the fault injector.
 *
 * @param cases how many accounts to create
 * @returns the world; call `stop()` when done
 */
export async function startChaosWorld(cases: number): Promise<ChaosWorld> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'techmail-chaos-'));
  const cleanup: Array<() => Promise<unknown>> = [
    () => rm(dataDir, { recursive: true, force: true }),
  ];
  const stop = async () => {
    for (const step of cleanup.reverse()) await step().catch(() => undefined);
  };
  try {
    const passwords = Array.from({ length: cases }, (_, n) => ({
      user: `chaos${n}`,
      password: `chaos-pw-${n}-${Math.random().toString(36).slice(2)}`,
    }));
    const dovecot = await startDovecot({ users: passwords });
    cleanup.push(() => dovecot.stop());
    const db = await startDynamoDbLocal();
    cleanup.push(() => db.stop());
    const blobs = await startBlobServer({
      directory: path.join(dataDir, 's3'),
    });
    cleanup.push(() => blobs.stop());
    const secrets = await startSecretsManagerEndpoint({
      filePath: path.join(dataDir, 'secrets', 'secrets.json'),
    });
    cleanup.push(() => secrets.stop());
    const endpoints = {
      dynamodb: db.endpoint,
      s3: blobs.endpoint,
      secretsManager: secrets.endpoint,
    };
    const faults = new SdkFaultInjector();
    const config = chaosConfig();
    const { stores, destroy } = buildStores(endpoints, config, faults);
    cleanup.push(async () => destroy());
    const service = new MailboxService({
      mailboxes: stores.mailboxes,
      secrets: stores.secrets,
      secretNameFor: (id) => mailboxSecretName(config.secretPrefix, id),
    });

    return {
      dovecot,
      stores,
      faults,
      endpoints,
      config,
      account: (index) =>
        passwords[index] as { user: string; password: string },
      async addMailbox(index, port, plainText) {
        const { user, password } = passwords[index] ?? {
          user: '',
          password: '',
        };
        const input = validateNewMailbox({
          name: `Chaos ${index}`,
          popServer: dovecot.host,
          popPort: port,
          security: plainText ? 'none' : 'tls',
          popAccount: user,
          password,
        });
        const created = await service.create(input, new Date());

        return (await stores.mailboxes.get(created.id)) as Mailbox;
      },
      connect: (mailbox, password) =>
        connectWithCa(mailbox, password, dovecot.caPem),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * The configuration of the chaos stores: the local table names and
 * bucket, as the local runtime uses them.
 *
 * @returns the checked configuration
 */
export function chaosConfig(): TechmailConfig {
  return readConfig({
    ...Object.fromEntries(TABLES.map((t) => [t.envVar, t.localName])),
    BLOB_BUCKET: LOCAL_BUCKET,
    TECHMAIL_FUNCTION_NAME: 'techmail',
  });
}

/**
 * Builds the production stores over SDK clients aimed at the stand-ins,
 * with the fault injector on every client.
 *
 * @param endpoints the stand-ins
 * @param config table, bucket and prefix names
 * @param faults the injector to attach
 * @returns the stores and a function that closes the clients
 */
export function buildStores(
  endpoints: ChaosEndpoints,
  config: TechmailConfig,
  faults: SdkFaultInjector,
): { stores: Stores; destroy(): void } {
  const dynamoDb = createDocumentClient({
    ...LOCAL_AWS,
    endpoint: endpoints.dynamodb,
  });
  const s3 = new S3Client({
    ...LOCAL_AWS,
    endpoint: endpoints.s3,
    forcePathStyle: true,
    // s3rver stores aws-chunked bodies as they are.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  const secretsManager = new SecretsManagerClient({
    ...LOCAL_AWS,
    endpoint: endpoints.secretsManager,
  });
  faults.attach(dynamoDb, 'dynamodb');
  faults.attach(s3, 's3');
  faults.attach(secretsManager, 'secretsmanager');

  return {
    stores: createStores(config, { dynamoDb, s3, secretsManager }),
    destroy() {
      dynamoDb.destroy();
      s3.destroy();
      secretsManager.destroy();
    },
  };
}

/**
 * `connectPop3` with the test CA passed in (NODE_EXTRA_CA_CERTS is read
 * only when a process starts) and the chaos deadlines.
 *
 * @param mailbox server, port, security and account
 * @param password the account's password
 * @param caPem the CA that signed the test server's certificate
 * @returns an authenticated mail source
 */
export async function connectWithCa(
  mailbox: Mailbox,
  password: string,
  caPem: string,
): Promise<MailSource> {
  const session = await Pop3Session.connect({
    host: mailbox.popServer,
    port: mailbox.popPort,
    security: mailbox.security,
    username: mailbox.popAccount,
    password,
    tls: { ca: caPem },
    ...CHAOS_POP3_TIMEOUTS,
  });

  return new Pop3MailSource(session);
}
