import { mkdir } from 'node:fs/promises';
import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { TABLES, type TableDefinition } from '../../functions/store/tables.js';

/** A running in-process DynamoDB stand-in. */
export interface LocalDynamoDb {
  /** Base URL to put in `AWS_ENDPOINT_URL_DYNAMODB`. */
  readonly endpoint: string;
  /** Stops the server and closes its store (flushing it to disk). */
  stop(): Promise<void>;
}

/** Options of {@link startDynamoDbLocal}. */
export interface LocalDynamoDbOptions {
  /**
   * Directory the data is kept under (in a `dynamodb` subdirectory), so it
   * survives restarts.
   * @default in memory, lost on stop
   */
  readonly dataDir?: string;
  /**
   * Port on 127.0.0.1 to listen on.
   * @default an ephemeral port chosen by the system
   */
  readonly port?: number;
}

type Dynalite = (options: { path?: string; createTableMs?: number }) => Server;

/** Checks made while a created table leaves the CREATING state. */
const TABLE_ACTIVE_POLLS = 100;
const TABLE_ACTIVE_POLL_MS = 20;

/**
 * The stand-in never checks signatures, but the SDK must sign; fixed fake
 * credentials keep it from searching the machine for real ones.
 */
const LOCAL_CLIENT = {
  region: 'us-east-1',
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
} as const;

/**
 * Starts dynalite in this process on 127.0.0.1 and creates the service's
 * tables (with their indexes) unless they already exist.
 *
 * @param options where to keep the data and which port to use
 * @default {} (in memory, ephemeral port)
 * @returns the endpoint and a stop function
 * @example
 * const db = await startDynamoDbLocal({ dataDir: '.techmail' });
 * process.env.AWS_ENDPOINT_URL_DYNAMODB = db.endpoint;
 */
export async function startDynamoDbLocal(
  options: LocalDynamoDbOptions = {},
): Promise<LocalDynamoDb> {
  const path = options.dataDir ? join(options.dataDir, 'dynamodb') : undefined;
  if (path) await mkdir(path, { recursive: true });

  const server = loadDynalite()({ path, createTableMs: 0 });
  await listen(server, options.port ?? 0);
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;

  const client = new DynamoDBClient({ ...LOCAL_CLIENT, endpoint });
  try {
    for (const table of TABLES) await ensureTable(client, table);
  } catch (error) {
    await close(server);
    throw error;
  } finally {
    client.destroy();
  }

  return { endpoint, stop: () => close(server) };
}

/**
 * dynalite ships no type declarations; a typed require here avoids a global
 * `declare module` that another file could clash with.
 */
function loadDynalite(): Dynalite {
  return createRequire(import.meta.url)('dynalite') as Dynalite;
}

function listen(server: Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function close(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((error) => (error ? reject(error) : resolve()));
  });
}

async function ensureTable(
  client: DynamoDBClient,
  table: TableDefinition,
): Promise<void> {
  try {
    await client.send(new CreateTableCommand(createTableInput(table)));
  } catch (error) {
    if (!(error instanceof Error && error.name === 'ResourceInUseException')) {
      throw error;
    }
  }

  for (let poll = 0; poll < TABLE_ACTIVE_POLLS; poll += 1) {
    const { Table } = await client.send(
      new DescribeTableCommand({ TableName: table.localName }),
    );
    if (Table?.TableStatus === 'ACTIVE') return;
    await new Promise((resolve) => setTimeout(resolve, TABLE_ACTIVE_POLL_MS));
  }

  throw new Error(`local table ${table.localName} did not become ACTIVE`);
}

function createTableInput(table: TableDefinition) {
  const attributes = new Set<string>([table.partitionKey, table.sortKey]);
  for (const index of table.indexes) {
    attributes.add(index.partitionKey);
    attributes.add(index.sortKey);
  }

  return {
    TableName: table.localName,
    BillingMode: 'PAY_PER_REQUEST' as const,
    AttributeDefinitions: [...attributes].map((AttributeName) => ({
      AttributeName,
      AttributeType: 'S' as const,
    })),
    KeySchema: [
      { AttributeName: table.partitionKey, KeyType: 'HASH' as const },
      { AttributeName: table.sortKey, KeyType: 'RANGE' as const },
    ],
    GlobalSecondaryIndexes:
      table.indexes.length === 0
        ? undefined
        : table.indexes.map((index) => ({
            IndexName: index.indexName,
            KeySchema: [
              { AttributeName: index.partitionKey, KeyType: 'HASH' as const },
              { AttributeName: index.sortKey, KeyType: 'RANGE' as const },
            ],
            Projection: { ProjectionType: 'ALL' as const },
          })),
  };
}
