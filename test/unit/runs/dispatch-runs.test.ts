import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultMailSettings } from '../../../functions/mailboxes/mail-settings.js';
import type { Mailbox } from '../../../functions/model.js';
import {
  DISPATCH_CONCURRENCY,
  type DispatchDependencies,
  DispatchError,
  dispatchRun,
  dispatchRuns,
} from '../../../functions/runs/dispatch-runs.js';
import type { RunRequest } from '../../../functions/techmail/run-mailbox.js';
import { startTestStores, type TestStores } from '../../support/stores.js';

const NOW = new Date('2026-12-04T13:00:00.000Z');
const LEASE_TTL_MS = 900_000;

/** How long invokes are held after the last one arrived. */
const QUIET_MS = 50;

let stores: TestStores;

beforeAll(async () => {
  stores = await startTestStores();
});

afterAll(async () => {
  await stores.stop();
});

/** Dispatch dependencies whose invoker records what it was asked. */
function dispatcher(
  invoke: (request: RunRequest) => Promise<void> = async () => {},
): DispatchDependencies & { invoked: RunRequest[] } {
  const invoked: RunRequest[] = [];

  return {
    runs: stores.runs,
    leases: stores.leases,
    invoke: async (request) => {
      invoked.push(request);
      await invoke(request);
    },
    leaseTtlMs: LEASE_TTL_MS,
    now: () => NOW,
    invoked,
  };
}

/** A mailbox record for dispatch, which reads only id, enabled, backoff. */
function mailbox(overrides: Partial<Mailbox> = {}): Mailbox {
  const id = overrides.id ?? randomUUID();

  return {
    id,
    name: `Mailbox ${id}`,
    popServer: 'pop.example.test',
    popPort: 995,
    security: 'tls',
    popAccount: id,
    interfaceId: 'default',
    enabled: true,
    leaveOnServer: false,
    maxMessageBytes: 1024 * 1024,
    ...defaultMailSettings(id),
    secretName: `techmail/mailboxes/${id}`,
    status: 'ok',
    consecutiveFailures: 0,
    createdAt: '2026-12-01T00:00:00.000Z',
    updatedAt: '2026-12-01T00:00:00.000Z',
    ...overrides,
  };
}

/** An ISO time this many minutes after NOW (before it when negative). */
function inMinutes(minutes: number): string {
  return new Date(NOW.getTime() + minutes * 60_000).toISOString();
}

describe('dispatch', () => {
  describe('dispatchRun', () => {
    it('queues a run holding the lease in its own name and invokes it', async () => {
      const deps = dispatcher();
      const mailboxId = randomUUID();

      const result = await dispatchRun(mailboxId, 'on-demand', deps);

      expect(result).toEqual({
        status: 'queued',
        runId: expect.any(String),
        mailboxId,
      });
      expect(await stores.leases.holder(mailboxId, NOW)).toBe(result.runId);
      expect(await stores.runs.get(result.runId)).toMatchObject({
        mailboxId,
        trigger: 'on-demand',
        status: 'queued',
        queuedAt: NOW.toISOString(),
      });
      expect(deps.invoked).toEqual([
        { mailboxId, runId: result.runId, trigger: 'on-demand' },
      ]);
    });

    it('answers running with the holder when the mailbox is taken', async () => {
      const deps = dispatcher();
      const mailboxId = randomUUID();
      const first = await dispatchRun(mailboxId, 'on-demand', deps);

      const second = await dispatchRun(mailboxId, 'on-demand', deps);

      expect(second).toEqual({
        status: 'running',
        runId: first.runId,
        mailboxId,
      });
      expect(deps.invoked).toHaveLength(1);
    });

    it('releases the lease, fails the run and throws DispatchError when Invoke fails', async () => {
      const cause = new Error('Lambda is unreachable');
      const deps = dispatcher(async () => {
        throw cause;
      });
      const mailboxId = randomUUID();

      const dispatching = dispatchRun(mailboxId, 'schedule', deps);

      const error = await dispatching.catch((thrown: unknown) => thrown);
      expect(error).toBeInstanceOf(DispatchError);
      expect(error).toMatchObject({ mailboxId, cause });
      expect(await stores.leases.holder(mailboxId, NOW)).toBeUndefined();
      const runId = deps.invoked[0]?.runId as string;
      expect(await stores.runs.get(runId)).toMatchObject({
        status: 'failed',
        error: { code: 'DispatchFailed' },
      });
    });
  });

  describe('dispatchRuns', () => {
    it('leaves out disabled mailboxes', async () => {
      const deps = dispatcher();
      const enabled = mailbox();
      const disabled = mailbox({ enabled: false });

      const { dispatched } = await dispatchRuns(
        [enabled, disabled],
        'on-demand',
        deps,
      );

      expect(dispatched.map((run) => run.mailboxId)).toEqual([enabled.id]);
      expect(deps.invoked.map((run) => run.mailboxId)).toEqual([enabled.id]);
    });

    it('leaves out mailboxes that are backing off on schedule', async () => {
      const backingOff = mailbox({ backoffUntil: inMinutes(1) });
      const backoffOver = mailbox({ backoffUntil: inMinutes(-1) });
      const deps = dispatcher();

      await dispatchRuns([backingOff, backoffOver], 'schedule', deps);

      expect(deps.invoked.map((run) => run.mailboxId)).toEqual([
        backoffOver.id,
      ]);
    });

    it('runs mailboxes that are backing off when asked on demand', async () => {
      const backingOff = mailbox({ backoffUntil: inMinutes(1) });
      const deps = dispatcher();

      await dispatchRuns([backingOff], 'on-demand', deps);

      expect(deps.invoked.map((run) => run.mailboxId)).toEqual([backingOff.id]);
    });

    it('records a skipped run on schedule when the mailbox is busy', async () => {
      const busy = mailbox();
      await stores.leases.acquire(busy.id, 'holder-run', LEASE_TTL_MS, NOW);
      const deps = dispatcher();

      const { dispatched } = await dispatchRuns([busy], 'schedule', deps);

      const [result] = dispatched;
      expect(result).toMatchObject({
        status: 'skipped',
        mailboxId: busy.id,
        reason: 'mailbox-busy',
      });
      expect(await stores.runs.get(result?.runId as string)).toMatchObject({
        status: 'skipped',
        trigger: 'schedule',
        error: { code: 'MailboxBusy' },
      });
      expect(deps.invoked).toEqual([]);
    });

    it('reports the running run on demand when the mailbox is busy', async () => {
      const busy = mailbox();
      await stores.leases.acquire(busy.id, 'holder-run', LEASE_TTL_MS, NOW);

      const { dispatched } = await dispatchRuns(
        [busy],
        'on-demand',
        dispatcher(),
      );

      expect(dispatched).toEqual([
        { status: 'running', runId: 'holder-run', mailboxId: busy.id },
      ]);
    });

    it('collects failed invokes and still dispatches the rest', async () => {
      const failing = mailbox();
      const healthy = mailbox();
      const deps = dispatcher(async (request) => {
        if (request.mailboxId === failing.id) throw new Error('throttled');
      });

      const { dispatched, failed } = await dispatchRuns(
        [failing, healthy],
        'schedule',
        deps,
      );

      expect(failed.map((error) => error.mailboxId)).toEqual([failing.id]);
      expect(dispatched.map((run) => run.mailboxId)).toEqual([healthy.id]);
    });

    it('still dispatches the rest when a store write fails for one mailbox', async () => {
      const broken = mailbox();
      const healthy = mailbox();
      const deps = dispatcher();
      const runs = Object.create(stores.runs) as typeof stores.runs;
      runs.create = async (run) => {
        if (run.mailboxId === broken.id) throw new Error('table unavailable');
        await stores.runs.create(run);
      };
      // The batch holding the broken record fails as a whole.
      runs.createMany = async (batch) => {
        if (batch.some((run) => run.mailboxId === broken.id)) {
          throw new Error('table unavailable');
        }
        await stores.runs.createMany(batch);
      };

      const { dispatched, failed } = await dispatchRuns(
        [broken, healthy],
        'schedule',
        { ...deps, runs },
      );

      expect(failed.map((error) => error.mailboxId)).toEqual([broken.id]);
      expect(failed[0]).toBeInstanceOf(DispatchError);
      expect(dispatched.map((run) => run.mailboxId)).toEqual([healthy.id]);
      expect(await stores.leases.holder(broken.id, NOW)).toBeUndefined();
    });

    it(`keeps at most ${DISPATCH_CONCURRENCY} invokes in flight`, async () => {
      // Invokes are held until no new one has arrived for a while, so every
      // invoke the dispatcher lets run at once is in flight together.
      const held: (() => void)[] = [];
      let quiet: NodeJS.Timeout | undefined;
      let most = 0;
      const deps = dispatcher(
        () =>
          new Promise<void>((resolve) => {
            held.push(resolve);
            most = Math.max(most, held.length);
            clearTimeout(quiet);
            quiet = setTimeout(() => {
              for (const release of held.splice(0)) release();
            }, QUIET_MS);
          }),
      );
      const mailboxes = Array.from({ length: 100 }, () => mailbox());

      await dispatchRuns(mailboxes, 'schedule', deps);

      expect(most).toBe(DISPATCH_CONCURRENCY);
      expect(deps.invoked).toHaveLength(100);
    });

    it('dispatches a thousand mailboxes, each once', async () => {
      const deps = dispatcher();
      const mailboxes = Array.from({ length: 1000 }, () => mailbox());

      const { dispatched, failed } = await dispatchRuns(
        mailboxes,
        'schedule',
        deps,
      );

      expect(failed).toEqual([]);
      expect(dispatched.every((run) => run.status === 'queued')).toBe(true);
      const invokedIds = new Set(deps.invoked.map((run) => run.mailboxId));
      expect(invokedIds.size).toBe(1000);
      expect(deps.invoked).toHaveLength(1000);
    });
  });
});
