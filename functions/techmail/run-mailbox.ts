import { NotFoundError } from '../commons/errors.js';
import { logger } from '../commons/powertools/logger.js';
import {
  emptyCounts,
  type Mailbox,
  type Run,
  type RunCounts,
  type RunMessage,
  type RunStatus,
  type RunTrigger,
} from '../model.js';
import { Pop3AuthError } from '../pop3/errors.js';
import type {
  BlobStore,
  IncidentStore,
  LeaseStore,
  MailboxStore,
  RunStore,
  SecretStore,
} from '../store/ports.js';
import { RunError } from './errors.js';
import { keepLease } from './lease-keeper.js';
import type { MailSource } from './mail-source.js';
import { describeFailure, healthAfter } from './mailbox-health.js';
import type { ProcessOptions } from './process-message.js';
import { listPending, takeMessages } from './take-messages.js';

export { RUN_SAFETY_MARGIN_MS } from './take-messages.js';

/** Run entries are written in batches of this many messages. */
export const RUN_FLUSH_EVERY_MESSAGES = 50;

/** Statuses after which a run never changes again. */
const FINAL_STATUSES: ReadonlySet<RunStatus> = new Set([
  'succeeded',
  'failed',
  'skipped',
]);

/** Everything a run talks to. */
export interface RunDependencies {
  mailboxes: MailboxStore;
  leases: LeaseStore;
  runs: RunStore;
  incidents: IncidentStore;
  blobs: BlobStore;
  secrets: SecretStore;
  /** Opens an authenticated session on the mailbox's server. */
  connect(mailbox: Mailbox, password: string): Promise<MailSource>;
  /** Milliseconds left before the invocation is cut off. */
  remainingTimeMs(): number;
  /** How long a lease lasts before another run may take the mailbox. */
  leaseTtlMs: number;
  /** Current time; tests pass a fixed clock. */
  now(): Date;
  /**
   * Domain of the help desk's outgoing Message-IDs, from
   * `TECHMAIL_MESSAGE_ID_DOMAIN`; mail carrying one is a loop.
   * @default undefined (that loop check is off)
   */
  messageIdDomain?: string;
}

/** What to run. `runId` comes from the dispatcher's queued run record. */
export interface RunRequest {
  mailboxId: string;
  runId: string;
  trigger: RunTrigger;
}

/** The finished run, and whether mail was left for a continuation. */
export interface RunResult {
  run: Run;
  /** True when the run stopped early for time and mail remains. */
  moreMail: boolean;
}

/**
 * Runs one mailbox once: takes its lease, logs in, turns each new message
 * into a durable outcome before deleting it, commits with QUIT, records the
 * run and the mailbox's health, and gives the lease back.
 *
 * @param request the mailbox, the run id and what triggered it
 * @param deps stores, the mail connector and the clock
 * @returns the run as recorded
 */
export async function runMailbox(
  request: RunRequest,
  deps: RunDependencies,
): Promise<RunResult> {
  const mailbox = await deps.mailboxes.get(request.mailboxId);
  if (!mailbox) {
    return { run: await failMissing(request, deps), moreMail: false };
  }
  const existing = await ensureRunRecord(request, deps);
  if (existing && FINAL_STATUSES.has(existing.status)) {
    // Lambda delivers async events at least once; a second delivery of a
    // finished run must not run the mailbox again under the same id.
    return { run: existing, moreMail: false };
  }

  const lease = await deps.leases.acquire(
    mailbox.id,
    request.runId,
    deps.leaseTtlMs,
    deps.now(),
  );
  if (!lease.acquired) {
    return { run: await skip(request, deps), moreMail: false };
  }
  const keeper = keepLease(
    deps.leases,
    mailbox.id,
    request.runId,
    deps.leaseTtlMs,
    () => deps.now(),
  );
  try {
    return await runLeased(mailbox, request, {
      ...deps,
      // A run whose lease went to another run stops taking messages as if
      // out of time; the run that holds the mailbox now takes the rest.
      remainingTimeMs: () => (keeper.lost ? 0 : deps.remainingTimeMs()),
    });
  } finally {
    await keeper.stop();
    await deps.leases.release(mailbox.id, request.runId);
  }
}

async function runLeased(
  mailbox: Mailbox,
  request: RunRequest,
  deps: RunDependencies,
): Promise<RunResult> {
  const startedAt = deps.now();
  await deps.runs.markRunning(request.runId, startedAt);
  const progress = new RunProgress(request.runId, deps);
  let moreMail = false;
  let failure: unknown;
  try {
    moreMail = await fetchAll(mailbox, deps, progress);
  } catch (error) {
    failure = error;
  }
  await progress.flush();

  const finishedAt = deps.now();
  const error = failure === undefined ? undefined : describeFailure(failure);
  const status = error ? 'failed' : 'succeeded';
  await deps.runs.finish(request.runId, {
    status,
    finishedAt,
    counts: progress.counts,
    error,
  });
  const run = await readRun(request.runId, deps);
  await recordHealth(mailbox, run, failure, deps);
  if (failure !== undefined) {
    logger.warn('mailbox run failed', {
      mailboxId: mailbox.id,
      runId: request.runId,
      error: failure as Error,
    });
  }

  return { run, moreMail };
}

/** Returns true when it stopped early and mail is left on the server. */
async function fetchAll(
  mailbox: Mailbox,
  deps: RunDependencies,
  progress: RunProgress,
): Promise<boolean> {
  const options = await processOptions(deps);
  const source = await login(mailbox, deps);
  let committed = false;
  try {
    const listed = await source.listMessages();
    const pending = await listPending(mailbox, listed, deps.incidents);
    let taken: number;
    try {
      taken = await takeMessages(
        mailbox,
        source,
        pending,
        deps,
        progress,
        options,
      );
    } catch (error) {
      // Only durable messages are marked deleted, so QUIT is safe here; it
      // keeps the next run from fetching those messages again.
      committed = await source.commit().then(
        () => true,
        () => false,
      );
      throw error;
    }
    await source.commit();
    committed = true;

    return taken < pending.length;
  } finally {
    if (!committed) source.abandon();
  }
}

/**
 * What every message of the run is judged against: the addresses of all
 * mailboxes (mail from any of them is the help desk's own), our Message-ID
 * domain, and which mailboxes let only an incident's contacts update it.
 */
async function processOptions(deps: RunDependencies): Promise<ProcessOptions> {
  const mailboxes = await deps.mailboxes.list();

  return {
    ownAddresses: mailboxes.flatMap((mailbox) => mailbox.addresses),
    messageIdDomain: deps.messageIdDomain,
    contactOnlyMailboxIds: mailboxes
      .filter((mailbox) => mailbox.updatePolicy === 'contact')
      .map((mailbox) => mailbox.id),
  };
}

/**
 * Logs in with the stored password. When the server rejects it, the
 * password is read once more bypassing the cache, since an admin may have
 * just rotated it.
 */
async function login(
  mailbox: Mailbox,
  deps: RunDependencies,
): Promise<MailSource> {
  const password = await deps.secrets.getPassword(mailbox.secretName);
  try {
    return await deps.connect(mailbox, password);
  } catch (error) {
    if (!(error instanceof Pop3AuthError)) throw error;
    const fresh = await deps.secrets.getPassword(mailbox.secretName, {
      forceFetch: true,
    });
    if (fresh === password) throw error;

    return deps.connect(mailbox, fresh);
  }
}

/** Counts and run entries, written to the run record in batches. */
class RunProgress {
  readonly counts: RunCounts = emptyCounts();
  readonly messages: RunMessage[] = [];
  private flushed = 0;

  constructor(
    readonly runId: string,
    private readonly deps: RunDependencies,
  ) {}

  async add(entry: RunMessage): Promise<void> {
    this.messages.push(entry);
    this.counts.seen += 1;
    this.counts[entry.outcome] += 1;
    if (this.messages.length - this.flushed >= RUN_FLUSH_EVERY_MESSAGES) {
      await this.flush();
    }
  }

  async flush(): Promise<void> {
    if (this.flushed === this.messages.length) return;
    const batch = this.messages.slice(this.flushed);
    await this.deps.runs.appendMessages(this.runId, this.flushed, batch);
    this.flushed = this.messages.length;
  }
}

/**
 * Writes the run's outcome onto its mailbox. An admin may delete the mailbox
 * while its run works; the run record still tells what happened, so that is
 * no reason to fail the invocation (and have Lambda retry it).
 */
async function recordHealth(
  mailbox: Mailbox,
  run: Run,
  failure: unknown,
  deps: RunDependencies,
): Promise<void> {
  const finishedAt = deps.now();
  try {
    await deps.mailboxes.recordHealth(
      mailbox.id,
      healthAfter(mailbox, run, failure, finishedAt),
      finishedAt,
    );
  } catch (error) {
    if (!(error instanceof NotFoundError)) throw error;
    logger.warn('mailbox deleted during its run', {
      mailboxId: mailbox.id,
      runId: run.runId,
    });
  }
}

/** Returns the run record that already existed, if any. */
async function ensureRunRecord(
  request: RunRequest,
  deps: RunDependencies,
): Promise<Run | undefined> {
  const existing = await deps.runs.get(request.runId);
  if (existing) return existing;
  await deps.runs.create({
    runId: request.runId,
    mailboxId: request.mailboxId,
    trigger: request.trigger,
    status: 'queued',
    queuedAt: deps.now().toISOString(),
    counts: emptyCounts(),
    messages: [],
  });

  return undefined;
}

async function skip(request: RunRequest, deps: RunDependencies): Promise<Run> {
  const finishedAt = deps.now();
  await deps.runs.finish(request.runId, {
    status: 'skipped',
    finishedAt,
    counts: emptyCounts(),
  });
  logger.info('mailbox run skipped', {
    mailboxId: request.mailboxId,
    runId: request.runId,
    reason: 'lease-held',
  });

  return readRun(request.runId, deps);
}

async function failMissing(
  request: RunRequest,
  deps: RunDependencies,
): Promise<Run> {
  const error = {
    code: 'MailboxNotFound',
    message: `mailbox ${request.mailboxId} does not exist; it may have been deleted after the run was queued`,
  };
  await ensureRunRecord(request, deps);
  await deps.runs.finish(request.runId, {
    status: 'failed',
    finishedAt: deps.now(),
    counts: emptyCounts(),
    error,
  });

  return readRun(request.runId, deps);
}

async function readRun(runId: string, deps: RunDependencies): Promise<Run> {
  const run = await deps.runs.get(runId);
  if (!run) {
    throw new RunError(
      'RunRecordMissing',
      `run ${runId} vanished from the run store while it was being written`,
    );
  }

  return run;
}
