import { randomUUID } from 'node:crypto';
import { TechmailError } from '../commons/errors.js';
import {
  emptyCounts,
  type Mailbox,
  type Run,
  type RunTrigger,
} from '../model.js';
import type { LeaseStore, RunStore } from '../store/ports.js';
import type { RunRequest } from '../techmail/run-mailbox.js';
import { chunked, createSlots, forEachBounded } from './bounded-work.js';

/**
 * Invokes in flight at once. The SDK's HTTP agent keeps 50 sockets per
 * host; beyond that requests would only queue inside the client (which then
 * warns) instead of at Lambda.
 */
export const DISPATCH_CONCURRENCY = 48;

/**
 * Mailboxes claimed together: their leases are taken in parallel and their
 * run records written in one BatchWriteItem (DynamoDB's limit is 25), so a
 * dispatch costs one conditional put and one Invoke plus 1/25 of a write.
 */
export const DISPATCH_BATCH_SIZE = 25;

/**
 * Batches being claimed at once; the second one keeps the store busy while
 * the first waits for free invoke slots.
 */
const CLAIM_BATCHES_IN_FLIGHT = 2;

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
  const claim = await claimMailbox(mailboxId, trigger, deps);
  if (claim.status === 'running') return claim;

  await createOrRelease(claim.run, deps);

  return startRun(claim.run, deps);
}

/**
 * Queues a run for each enabled mailbox. Mailboxes are claimed a batch at
 * a time (leases in parallel, run records in one batch write) and their
 * Invokes kept to a bounded number in flight. The schedule leaves out
 * mailboxes that are backing off after failures and records a `skipped`
 * run where another run holds the mailbox.
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
  // One mailbox's failure (Invoke, or a store write) must not keep the
  // other mailboxes from their runs.
  const attempt: Attempt = async (mailboxId, work) => {
    try {
      return await work();
    } catch (error) {
      failed.push(
        error instanceof DispatchError
          ? error
          : new DispatchError(mailboxId, { cause: error }),
      );
      return undefined;
    }
  };
  const slots = createSlots(DISPATCH_CONCURRENCY);
  const invokes: Promise<void>[] = [];
  const batches = chunked(due, DISPATCH_BATCH_SIZE);
  await forEachBounded(batches, CLAIM_BATCHES_IN_FLIGHT, async (batch) => {
    const claims = await Promise.all(
      batch.map((mailbox) =>
        attempt(mailbox.id, () => claimOrSkip(mailbox.id, trigger, deps)),
      ),
    );
    const queued: Run[] = [];
    for (const claim of claims) {
      if (claim?.status === 'claimed') queued.push(claim.run);
      else if (claim) dispatched.push(claim);
    }
    for (const run of await createAll(queued, deps, attempt)) {
      // Waiting for a slot here holds back the next claims, so leases are
      // not taken long before their run can start.
      await slots.take();
      const started = attempt(run.mailboxId, () => startRun(run, deps));
      invokes.push(
        started.then((result) => {
          if (result) dispatched.push(result);
          slots.give();
        }),
      );
    }
  });
  await Promise.all(invokes);

  return { dispatched, failed };
}

/** Runs one mailbox's step; a failure is recorded and yields undefined. */
type Attempt = <T>(
  mailboxId: string,
  work: () => Promise<T>,
) => Promise<T | undefined>;

/** A mailbox whose lease is now the new run's, with the run to write. */
interface Claimed {
  status: 'claimed';
  runId: string;
  mailboxId: string;
  run: Run;
}

/** Claims the mailbox, or records a `skipped` run on schedule if busy. */
async function claimOrSkip(
  mailboxId: string,
  trigger: RunTrigger,
  deps: DispatchDependencies,
): Promise<Claimed | Dispatched> {
  const claim = await claimMailbox(mailboxId, trigger, deps);

  return claim.status === 'running' && trigger === 'schedule'
    ? recordSkipped(mailboxId, claim.runId, deps)
    : claim;
}

/**
 * Takes the mailbox's lease for a new run and fails the run whose lease
 * expired under it, if any.
 */
async function claimMailbox(
  mailboxId: string,
  trigger: RunTrigger,
  deps: DispatchDependencies,
): Promise<Claimed | Extract<Dispatched, { status: 'running' }>> {
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
  if (lease.tookOverFrom !== undefined) {
    const predecessor = lease.tookOverFrom;
    await releaseOnFailure(mailboxId, runId, deps, () =>
      abandonRun(predecessor, runId, deps),
    );
  }
  const run: Run = {
    runId,
    mailboxId,
    trigger,
    status: 'queued',
    queuedAt: now.toISOString(),
    counts: emptyCounts(),
    messages: [],
  };

  return { status: 'claimed', runId, mailboxId, run };
}

/**
 * Writes the claimed runs in one batch; when the batch fails, each run is
 * written on its own so that one bad record fails only its own mailbox.
 *
 * @returns the runs that were written
 */
async function createAll(
  runs: readonly Run[],
  deps: DispatchDependencies,
  attempt: Attempt,
): Promise<Run[]> {
  if (runs.length === 0) return [];
  try {
    await deps.runs.createMany(runs);

    return [...runs];
  } catch {
    // A retried create of a run the batch did write leaves it as it is.
    const written = await Promise.all(
      runs.map((run) =>
        attempt(run.mailboxId, async () => {
          await createOrRelease(run, deps);
          return run;
        }),
      ),
    );

    return written.filter((run) => run !== undefined);
  }
}

async function createOrRelease(
  run: Run,
  deps: DispatchDependencies,
): Promise<void> {
  // Otherwise the mailbox stays locked by a run that does not exist, and
  // every request until the lease expires gets a 409 naming it.
  await releaseOnFailure(run.mailboxId, run.runId, deps, () =>
    deps.runs.create(run),
  );
}

async function releaseOnFailure(
  mailboxId: string,
  runId: string,
  deps: DispatchDependencies,
  write: () => Promise<unknown>,
): Promise<void> {
  try {
    await write();
  } catch (error) {
    await deps.leases.release(mailboxId, runId);
    throw error;
  }
}

/** Invokes the written run; on failure releases its lease and fails it. */
async function startRun(
  run: Run,
  deps: DispatchDependencies,
): Promise<Dispatched> {
  const { mailboxId, runId, trigger } = run;
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
