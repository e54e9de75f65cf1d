import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emptyCounts, type Run } from '../../../functions/model.js';
import {
  type DispatchDependencies,
  dispatchRun,
} from '../../../functions/runs/dispatch-runs.js';
import { StoreThrottledError } from '../../../functions/store/errors.js';
import type { RunStore } from '../../../functions/store/ports.js';
import { startTestStores, type TestStores } from '../../support/stores.js';

const T0 = new Date('2026-12-04T13:00:00.000Z');
const LEASE_TTL_MS = 60_000;

let stores: TestStores;

beforeAll(async () => {
  stores = await startTestStores();
});

afterAll(async () => {
  await stores.stop();
});

function dispatcher(
  now: Date,
  runs: RunStore = stores.runs,
): DispatchDependencies {
  return {
    runs,
    leases: stores.leases,
    invoke: async () => {},
    leaseTtlMs: LEASE_TTL_MS,
    now: () => now,
  };
}

function queuedRun(mailboxId: string, status: Run['status']): Run {
  return {
    runId: randomUUID(),
    mailboxId,
    trigger: 'schedule',
    status,
    queuedAt: T0.toISOString(),
    counts: emptyCounts(),
    messages: [],
  };
}

describe('runs that stop without finishing', () => {
  describe('RunStore.abandon', () => {
    it.each(['queued', 'running'] as const)(
      'fails a %s run',
      async (status) => {
        const run = queuedRun('mbx-abandon', status);
        await stores.runs.create(run);

        const changed = await stores.runs.abandon(run.runId, T0, {
          code: 'RunAbandoned',
          message: 'gone',
        });

        expect(changed).toBe(true);
        expect(await stores.runs.get(run.runId)).toMatchObject({
          status: 'failed',
          finishedAt: T0.toISOString(),
          error: { code: 'RunAbandoned', message: 'gone' },
        });
      },
    );

    it('leaves a run that finished meanwhile as it is', async () => {
      const run = queuedRun('mbx-abandon', 'succeeded');
      await stores.runs.create(run);

      const changed = await stores.runs.abandon(run.runId, T0, {
        code: 'RunAbandoned',
        message: 'gone',
      });

      expect(changed).toBe(false);
      expect((await stores.runs.get(run.runId))?.status).toBe('succeeded');
    });
  });

  describe('dispatchRun', () => {
    it('fails the run whose lease expired under it when the next run takes the mailbox (regression: a crashed run showed running forever)', async () => {
      const mailboxId = randomUUID();
      const crashed = await dispatchRun(mailboxId, 'schedule', dispatcher(T0));
      await stores.runs.markRunning(crashed.runId, T0);
      const afterExpiry = new Date(T0.getTime() + LEASE_TTL_MS);

      const next = await dispatchRun(
        mailboxId,
        'on-demand',
        dispatcher(afterExpiry),
      );

      expect(next.status).toBe('queued');
      expect(await stores.runs.get(crashed.runId)).toMatchObject({
        status: 'failed',
        error: { code: 'RunAbandoned' },
      });
      expect((await stores.runs.get(next.runId))?.status).toBe('queued');
    });

    it('gives the lease back when the run record cannot be written (regression: the mailbox answered 409 naming a run that did not exist)', async () => {
      const mailboxId = randomUUID();
      const throttled = Object.create(stores.runs) as RunStore;
      throttled.create = async () => {
        throw new StoreThrottledError('runs.create', 'test', 'throttled');
      };

      await expect(
        dispatchRun(mailboxId, 'on-demand', dispatcher(T0, throttled)),
      ).rejects.toBeInstanceOf(StoreThrottledError);

      expect(await stores.leases.holder(mailboxId, T0)).toBeUndefined();
      const retried = await dispatchRun(mailboxId, 'on-demand', dispatcher(T0));
      expect(retried.status).toBe('queued');
    });
  });
});
