import { randomUUID } from 'node:crypto';
import { TechmailError } from '../commons/errors.js';
import { emptyCounts, type Mailbox, type RunTrigger } from '../model.js';
import type { LeaseStore, RunStore } from '../store/ports.js';
import type { RunRequest } from '../techmail/run-mailbox.js';

/**
 * Mailbox runs dispatched at once. Each dispatch is a few store writes and
 * one async Invoke; this keeps a thousand mailboxes well inside a minute
 * without flooding the Lambda API.
 */
export const DISPATCH_CONCURRENCY = 32;

/** What dispatch needs: the stores and a way to start a run. */
export interface DispatchDependencies {
  runs: RunStore;
  leases: LeaseStore;
  /** Starts the run asynchronously (Lambda Invoke, type Event). */
  invoke(request: RunRequest): Promise<void>;
  /** How long the dispatcher's lease lasts if the run never starts. */
  leaseTtlMs: number;
  now(): Date;
}

/** The outcome of asking for one mailbox's run. */
export type Dispatched =
  | { status: 'queued'; runId: string; mailboxId: string }
  | { status: 'running'; runId: string; mailboxId: string }
  | { status: 'skipped'; runId: string; mailboxId: string; reason: string };

/** The run could not be handed to the techmail function. */
export class DispatchError extends TechmailError {
  /**
   * @param mailboxId the mailbox whose run failed to start
   * @param options the Invoke error as `cause`
   */
  constructor(
    readonly mailboxId: string,
    options?: ErrorOptions,
  ) {
    super(
      `the run of mailbox ${mailboxId} could not be started; try again`,
      options,
    );
    this.name = 'DispatchError';
  }
}

/**
 * Queues one run of a mailbox. The lease is taken here, in the new run's
 * name, so two requests racing for the same mailbox cannot both queue a
 * run; the techmail function then finds the lease already its own.
 *
 * @param mailboxId the mailbox to run
 * @param trigger what asked for the run
 * @param deps stores and invoker
 * @returns `queued` with the new run id, or `running` with the run that
 *   holds the mailbox
 * @throws DispatchError when the Invoke fails (lease released, run failed)
 */
export async function dispatchRun(
  mailboxId: string,
  trigger: RunTrigger,
  deps: DispatchDependencies,
): Promise<Dispatched> {
  const runId = randomUUID();
  const now = deps.now();
  const lease = await deps.leases.acquire(
    mailboxId,
    runId,
    deps.leaseTtlMs,
    now,
  );
  if (!lease.acquired) {
    return { status: 'running', runId: lease.holderRunId, mailboxId };
  }
  try {
    if (lease.tookOverFrom !== undefined) {
      await abandonRun(lease.tookOverFrom, runId, deps);
    }
    await deps.runs.create({
      runId,
      mailboxId,
      trigger,
      status: 'queued',
      queuedAt: now.toISOString(),
      counts: emptyCounts(),
      messages: [],
    });
  } catch (error) {
    // Otherwise the mailbox stays locked by a run that does not exist, and
    // every request until the lease expires gets a 409 naming it.
    await deps.leases.release(mailboxId, runId);
    throw error;
  }
  try {
    await deps.invoke({ mailboxId, runId, trigger });
  } catch (error) {
    await deps.leases.release(mailboxId, runId);
    await deps.runs.finish(runId, {
      status: 'failed',
      finishedAt: deps.now(),
      counts: emptyCounts(),
      error: {
        code: 'DispatchFailed',
        message: 'the run could not be started',
      },
    });
    throw new DispatchError(mailboxId, { cause: error });
  }

  return { status: 'queued', runId, mailboxId };
}

/**
 * Queues a run for each enabled mailbox, a bounded number at a time. The
 * schedule leaves out mailboxes that are backing off after failures and
 * records a `skipped` run where another run holds the mailbox.
 *
 * @param mailboxes every mailbox (disabled ones are left out here)
 * @param trigger `schedule` or `on-demand`
 * @param deps stores and invoker
 * @returns one result per enabled mailbox, and the ones that failed
 */
export async function dispatchRuns(
  mailboxes: readonly Mailbox[],
  trigger: RunTrigger,
  deps: DispatchDependencies,
): Promise<{ dispatched: Dispatched[]; failed: DispatchError[] }> {
  const now = deps.now();
  const due = mailboxes.filter(
    (mailbox) =>
      mailbox.enabled &&
      (trigger === 'on-demand' || !isBackingOff(mailbox, now)),
  );
  const dispatched: Dispatched[] = [];
  const failed: DispatchError[] = [];
  await forEachBounded(due, DISPATCH_CONCURRENCY, async (mailbox) => {
    try {
      const result = await dispatchRun(mailbox.id, trigger, deps);
      dispatched.push(
        result.status === 'running' && trigger === 'schedule'
          ? await recordSkipped(mailbox.id, result.runId, deps)
          : result,
      );
    } catch (error) {
      // One mailbox's failure (Invoke, or a store write) must not keep the
      // other mailboxes from their runs.
      failed.push(
        error instanceof DispatchError
          ? error
          : new DispatchError(mailbox.id, { cause: error }),
      );
    }
  });

  return { dispatched, failed };
}

/**
 * Fails the run whose lease expired under it: it crashed or timed out, and
 * would otherwise show `running` (or `queued`) forever.
 */
async function abandonRun(
  abandonedRunId: string,
  successorRunId: string,
  deps: DispatchDependencies,
): Promise<void> {
  await deps.runs.abandon(abandonedRunId, deps.now(), {
    code: 'RunAbandoned',
    message: `the run stopped before it finished (a crash or a timeout) and its lease expired; run ${successorRunId} took the mailbox over and picks up what was left`,
  });
}

function isBackingOff(mailbox: Mailbox, now: Date): boolean {
  return (
    mailbox.backoffUntil !== undefined &&
    Date.parse(mailbox.backoffUntil) > now.getTime()
  );
}

async function recordSkipped(
  mailboxId: string,
  holderRunId: string,
  deps: DispatchDependencies,
): Promise<Dispatched> {
  const runId = randomUUID();
  const now = deps.now().toISOString();
  await deps.runs.create({
    runId,
    mailboxId,
    trigger: 'schedule',
    status: 'skipped',
    queuedAt: now,
    finishedAt: now,
    counts: emptyCounts(),
    messages: [],
    error: {
      code: 'MailboxBusy',
      message: `run ${holderRunId} was still working on this mailbox`,
    },
  });

  return { status: 'skipped', runId, mailboxId, reason: 'mailbox-busy' };
}

async function forEachBounded<T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next] as T;
      next += 1;
      await work(item);
    }
  };
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, worker),
  );
}
