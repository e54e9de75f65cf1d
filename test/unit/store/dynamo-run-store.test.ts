import {
  BatchWriteCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import {
  afterAll,
  afterEach,
  beforeAll,
  describe,
  expect,
  it,
  vi,
} from 'vitest';
import { NotFoundError } from '../../../functions/commons/errors.js';
import {
  emptyCounts,
  type Run,
  type RunMessage,
} from '../../../functions/model.js';
import { BATCH_MAX_ATTEMPTS } from '../../../functions/store/dynamo-helpers.js';
import { DynamoRunStore } from '../../../functions/store/dynamo-run-store.js';
import { StoreThrottledError } from '../../../functions/store/errors.js';
import { RUNS_TABLE } from '../../../functions/store/tables.js';
import { type DynaliteFixture, startDynalite } from './dynalite-fixture.js';

const TABLE = RUNS_TABLE.localName;

function queuedRun(runId: string, mailboxId: string, queuedAt: string): Run {
  return {
    runId,
    mailboxId,
    trigger: 'on-demand',
    status: 'queued',
    queuedAt,
    counts: emptyCounts(),
    messages: [],
  };
}

function messages(count: number, from = 0): RunMessage[] {
  return Array.from({ length: count }, (_, index) => ({
    uidl: `uidl-${from + index}`,
    messageId: `<m${from + index}@example.test>`,
    outcome: 'created',
    referenceNumber: `261201-${String(from + index).padStart(6, '0')}`,
  }));
}

describe('DynamoRunStore', () => {
  let db: DynaliteFixture;
  let runs: DynamoRunStore;

  beforeAll(async () => {
    db = await startDynalite();
    runs = new DynamoRunStore(db.client, TABLE);
  });

  afterAll(async () => {
    await db.stop();
  });

  describe('create and get', () => {
    it('round-trips a queued run without messages', async () => {
      const run = queuedRun('r1', 'mbx-1', '2026-12-01T10:00:00.000Z');

      await runs.create(run);

      expect(await runs.get('r1')).toEqual(run);
    });

    it('returns undefined for an unknown run', async () => {
      expect(await runs.get('missing')).toBeUndefined();
    });

    it('keeps the first header when a create is retried', async () => {
      await runs.create(queuedRun('r2', 'mbx-1', '2026-12-01T10:00:00.000Z'));
      await runs.markRunning('r2', new Date('2026-12-01T10:00:01.000Z'));

      await runs.create(queuedRun('r2', 'mbx-1', '2026-12-01T10:00:00.000Z'));

      expect((await runs.get('r2'))?.status).toBe('running');
    });

    it('round-trips a run with 2000 messages in order', async () => {
      const run = {
        ...queuedRun('r-big', 'mbx-2', '2026-12-01T10:00:00.000Z'),
        messages: messages(2000),
      };

      await runs.create(run);

      const stored = await runs.get('r-big');
      expect(stored?.messages).toHaveLength(2000);
      expect(stored?.messages).toEqual(run.messages);
    });
  });

  describe('createMany', () => {
    it('writes 30 queued runs in batches, each readable and listed by mailbox', async () => {
      const batch = Array.from({ length: 30 }, (_, index) =>
        queuedRun(
          `many-${index}`,
          'mbx-many',
          `2026-12-02T10:00:${String(index).padStart(2, '0')}.000Z`,
        ),
      );

      await runs.createMany(batch);

      expect(await runs.get('many-29')).toEqual(batch[29]);
      expect(await runs.listByMailbox('mbx-many', 50)).toHaveLength(30);
    });

    it('refuses a run that carries message entries, naming the field', async () => {
      const run = {
        ...queuedRun('many-msgs', 'mbx-many', '2026-12-02T11:00:00.000Z'),
        messages: messages(1),
      };

      await expect(runs.createMany([run])).rejects.toMatchObject({
        field: 'messages',
      });
      expect(await runs.get('many-msgs')).toBeUndefined();
    });
  });

  describe('appendMessages', () => {
    it('overwrites entries when an append is retried with the same numbers', async () => {
      await runs.create(queuedRun('r3', 'mbx-1', '2026-12-01T11:00:00.000Z'));
      await runs.appendMessages('r3', 0, messages(3));
      await runs.appendMessages('r3', 3, messages(2, 3));

      await runs.appendMessages('r3', 3, messages(2, 3));

      expect((await runs.get('r3'))?.messages).toEqual(messages(5));
    });

    it('rejects a negative first sequence number naming the field', async () => {
      await expect(runs.appendMessages('r3', -1, [])).rejects.toMatchObject({
        field: 'firstSeq',
      });
    });
  });

  describe('markRunning and finish', () => {
    it('records start, end, counts and error, and drops an error a retry cleared', async () => {
      await runs.create(queuedRun('r4', 'mbx-1', '2026-12-01T12:00:00.000Z'));
      await runs.markRunning('r4', new Date('2026-12-01T12:00:01.000Z'));
      await runs.finish('r4', {
        status: 'failed',
        finishedAt: new Date('2026-12-01T12:00:02.000Z'),
        counts: emptyCounts(),
        error: { code: 'POP3_TIMEOUT', message: 'server did not answer' },
      });
      const counts = { ...emptyCounts(), seen: 2, created: 2 };

      await runs.finish('r4', {
        status: 'succeeded',
        finishedAt: new Date('2026-12-01T12:00:03.000Z'),
        counts,
      });

      const run = await runs.get('r4');
      expect(run).toMatchObject({
        status: 'succeeded',
        startedAt: '2026-12-01T12:00:01.000Z',
        finishedAt: '2026-12-01T12:00:03.000Z',
        counts,
      });
      expect(run).not.toHaveProperty('error');
    });

    it('throws NotFoundError when the run does not exist', async () => {
      await expect(
        runs.markRunning('missing', new Date()),
      ).rejects.toBeInstanceOf(NotFoundError);
      await expect(
        runs.finish('missing', {
          status: 'failed',
          finishedAt: new Date(),
          counts: emptyCounts(),
        }),
      ).rejects.toBeInstanceOf(NotFoundError);
    });
  });

  describe('listByMailbox', () => {
    it('returns the newest runs first, headers only, up to the limit', async () => {
      for (const minute of ['01', '03', '02']) {
        const run = queuedRun(
          `l${minute}`,
          'mbx-list',
          `2026-12-02T10:${minute}:00.000Z`,
        );
        await runs.create({ ...run, messages: messages(1) });
      }

      const listed = await runs.listByMailbox('mbx-list', 2);

      expect(listed.map((run) => run.runId)).toEqual(['l03', 'l02']);
      expect(listed.every((run) => run.messages.length === 0)).toBe(true);
    });
  });

  describe('when DynamoDB leaves items unprocessed', () => {
    afterEach(() => {
      vi.restoreAllMocks();
    });

    function fakeClient(unprocessedCalls: number) {
      let calls = 0;
      const send = vi.fn(async (command: BatchWriteCommand) => {
        calls += 1;
        const requests = command.input.RequestItems?.[TABLE] ?? [];
        const left = calls <= unprocessedCalls ? requests.slice(0, 1) : [];

        return { UnprocessedItems: left.length ? { [TABLE]: left } : {} };
      });

      return { send, client: { send } as unknown as DynamoDBDocumentClient };
    }

    it('retries the unprocessed items until they are written', async () => {
      vi.spyOn(Math, 'random').mockReturnValue(0);
      const { send, client } = fakeClient(2);

      await new DynamoRunStore(client, TABLE).appendMessages(
        'r',
        0,
        messages(3),
      );

      expect(send).toHaveBeenCalledTimes(3);
      expect(send.mock.calls[2]?.[0]).toBeInstanceOf(BatchWriteCommand);
    });

    it('throws StoreThrottledError after a bounded number of attempts', async () => {
      vi.spyOn(Math, 'random').mockReturnValue(0);
      const { send, client } = fakeClient(Number.POSITIVE_INFINITY);

      const attempt = new DynamoRunStore(client, TABLE).appendMessages(
        'r',
        0,
        messages(3),
      );

      await expect(attempt).rejects.toBeInstanceOf(StoreThrottledError);
      expect(send).toHaveBeenCalledTimes(BATCH_MAX_ATTEMPTS);
    });
  });
});
