import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDocumentClient } from '../../../functions/commons/clients/dynamodb.js';
import { TABLES } from '../../../functions/store/tables.js';
import { startDynamoDbLocal } from '../../../lib/local/dynamodb-local.js';

function clientFor(endpoint: string) {
  return createDocumentClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
}

describe('startDynamoDbLocal', () => {
  let dataDir: string;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'techmail-dynamodb-'));
  });

  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('listens on 127.0.0.1 and creates every table', async () => {
    const db = await startDynamoDbLocal();
    const client = clientFor(db.endpoint);

    const { TableNames } = await client.send(new ListTablesCommand({}));

    expect(db.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(TableNames?.sort()).toEqual(TABLES.map((t) => t.localName).sort());
    client.destroy();
    await db.stop();
  });

  it('keeps items across a restart when given a data directory', async () => {
    const table = TABLES[0]?.localName ?? '';
    const item = { pk: 'MAILBOX#persisted', sk: 'MAILBOX', name: 'kept' };
    const first = await startDynamoDbLocal({ dataDir });
    const writer = clientFor(first.endpoint);
    await writer.send(new PutCommand({ TableName: table, Item: item }));
    writer.destroy();
    await first.stop();

    const second = await startDynamoDbLocal({ dataDir });
    const reader = clientFor(second.endpoint);
    const { Item } = await reader.send(
      new GetCommand({ TableName: table, Key: { pk: item.pk, sk: item.sk } }),
    );
    reader.destroy();
    await second.stop();

    expect(Item).toEqual(item);
  });
});
