import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createDocumentClient } from '../../../functions/commons/clients/dynamodb.js';
import {
  type LocalDynamoDb,
  startDynamoDbLocal,
} from '../../../lib/local/dynamodb-local.js';

/** In-process dynalite with the service's tables and a client for it. */
export interface DynaliteFixture {
  readonly client: DynamoDBDocumentClient;
  stop(): Promise<void>;
}

/**
 * Starts in-memory dynalite on 127.0.0.1 with the service's tables and
 * builds a document client aimed at it (the one place tests pass an
 * endpoint in code).
 *
 * @returns the client and a stop function for afterAll
 */
export async function startDynalite(): Promise<DynaliteFixture> {
  const db: LocalDynamoDb = await startDynamoDbLocal();
  const client = createDocumentClient({
    endpoint: db.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });

  return {
    client,
    async stop() {
      client.destroy();
      await db.stop();
    },
  };
}
