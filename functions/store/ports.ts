import type {
  Incident,
  IncidentStatus,
  Mailbox,
  MessageOutcome,
  Run,
  RunCounts,
  RunMessage,
  RunStatus,
  RunSummary,
  ThreadEntry,
} from '../model.js';
import type { QuarantineStore } from './quarantine-port.js';

/** Mailbox fields an admin sets and may change later. */
export type MailboxSettingField =
  | 'name'
  | 'popServer'
  | 'popPort'
  | 'security'
  | 'popAccount'
  | 'interfaceId'
  | 'enabled'
  | 'leaveOnServer'
  | 'maxMessageBytes'
  | 'addresses'
  | 'autoReplyDetection'
  | 'updatePolicy'
  | 'floodLimit'
  | 'floodWindowHours';

/** Fields an admin sets when creating a mailbox (password excluded). */
export type NewMailbox = Pick<Mailbox, MailboxSettingField | 'secretName'> & {
  id: string;
};

/** Fields an admin may change on a mailbox. */
export type MailboxPatch = Partial<Pick<Mailbox, MailboxSettingField>>;

/** Health fields a run writes back onto its mailbox. */
export interface MailboxHealth {
  status: Mailbox['status'];
  lastError?: string;
  consecutiveFailures: number;
  backoffUntil?: string;
  lastRun: RunSummary;
}

/** Mailbox configuration and health. */
export interface MailboxStore {
  /**
   * Creates a mailbox; throws ConflictError when another mailbox has the
   * same popServer + popAccount (case-insensitive).
   */
  create(input: NewMailbox, now: Date): Promise<Mailbox>;
  /** Returns the mailbox or undefined. */
  get(id: string): Promise<Mailbox | undefined>;
  /** Returns every mailbox (admin listing, fan-out). */
  list(): Promise<Mailbox[]>;
  /** Applies a patch; throws NotFoundError / ConflictError. */
  update(id: string, patch: MailboxPatch, now: Date): Promise<Mailbox>;
  /** Removes the mailbox and its account guard; throws NotFoundError. */
  delete(id: string): Promise<Mailbox>;
  /** Records the outcome of a run on the mailbox. */
  recordHealth(id: string, health: MailboxHealth, now: Date): Promise<void>;
}

/**
 * Result of trying to take a mailbox's lease. `tookOverFrom` names the run
 * whose lease had expired when this one took it: that run stopped without
 * giving the lease back (a crash, a timeout).
 */
export type LeaseResult =
  | { acquired: true; tookOverFrom?: string }
  | { acquired: false; holderRunId: string };

/** One-run-per-mailbox leases with an expiry. */
export interface LeaseStore {
  /**
   * Takes the lease for `runId` unless another unexpired run holds it.
   * Taking a lease the same run already holds succeeds (and extends it).
   */
  acquire(
    mailboxId: string,
    runId: string,
    ttlMs: number,
    now: Date,
  ): Promise<LeaseResult>;
  /** Extends the lease; returns false when the run no longer holds it. */
  renew(
    mailboxId: string,
    runId: string,
    ttlMs: number,
    now: Date,
  ): Promise<boolean>;
  /** Gives the lease up if `runId` still holds it. */
  release(mailboxId: string, runId: string): Promise<void>;
  /** The run holding an unexpired lease, if any. */
  holder(mailboxId: string, now: Date): Promise<string | undefined>;
}

/** Run records. */
export interface RunStore {
  /** Writes a new run in `queued` (or `skipped`) state. */
  create(run: Run): Promise<void>;
  /**
   * Writes new runs without message entries in as few requests as the
   * store allows; for runs whose ids were just made, as a batch write
   * cannot check that an id is unused.
   */
  createMany(runs: readonly Run[]): Promise<void>;
  /** Returns the run with its message entries, or undefined. */
  get(runId: string): Promise<Run | undefined>;
  /** Marks the run `running` with its start time. */
  markRunning(runId: string, startedAt: Date): Promise<void>;
  /**
   * Stores message entries; `firstSeq` numbers them so a retried append
   * overwrites rather than duplicates.
   */
  appendMessages(
    runId: string,
    firstSeq: number,
    messages: RunMessage[],
  ): Promise<void>;
  /** Writes the final status, counts and error. */
  finish(
    runId: string,
    result: {
      status: RunStatus;
      finishedAt: Date;
      counts: RunCounts;
      error?: Run['error'];
    },
  ): Promise<void>;
  /** Most recent runs of a mailbox, newest first. */
  listByMailbox(mailboxId: string, limit: number): Promise<Run[]>;
  /**
   * Fails a run that is still `queued` or `running` although it can no
   * longer finish; a run in any other state is left as it is. Returns
   * whether the run was changed.
   */
  abandon(
    runId: string,
    finishedAt: Date,
    error: NonNullable<Run['error']>,
  ): Promise<boolean>;
}

/** State of one message in the processing ledger. */
export interface LedgerRecord {
  mailboxId: string;
  messageKey: string;
  /** `pending`: a decision is recorded, the writes may be incomplete. */
  state: 'pending' | 'done';
  sha256: string;
  messageId?: string;
  outcome: MessageOutcome;
  reason?: string;
  /** The classifier signal behind the reason, e.g. `auto-submitted`. */
  signal?: string;
  referenceNumber?: string;
  /** The incident a refused update was about (reason `update-refused`). */
  relatedReferenceNumber?: string;
  entryId?: string;
  decidedAt: string;
}

/** Filter of the incident listing. */
export interface IncidentQuery {
  mailboxId?: string;
  interfaceId?: string;
  status?: IncidentStatus;
  limit: number;
  nextToken?: string;
}

/**
 * Incidents, thread entries, the idempotency ledger and the quarantine
 * index.
 */
export interface IncidentStore extends QuarantineStore {
  /** Ledger entry of a message, if any. */
  getLedger(
    mailboxId: string,
    messageKey: string,
  ): Promise<LedgerRecord | undefined>;
  /**
   * Records a decision unless one exists; returns the record that is
   * stored afterwards (the existing one when another writer won).
   */
  putLedgerIfAbsent(record: LedgerRecord): Promise<LedgerRecord>;
  /** Marks a ledger record done. */
  markLedgerDone(mailboxId: string, messageKey: string): Promise<void>;
  /** Allocates the next `YYMMDD-NNNNNN` for the UTC day of `now`. */
  nextReferenceNumber(now: Date): Promise<string>;
  /** Writes an incident (idempotent: same reference, same content). */
  putIncident(incident: Incident): Promise<void>;
  /** Writes a thread entry (idempotent by reference + entryId). */
  putEntry(referenceNumber: string, entry: ThreadEntry): Promise<void>;
  /**
   * Adds Message-IDs to the incident's index and sets status/updatedAt.
   * Idempotent.
   */
  touchIncident(
    referenceNumber: string,
    change: {
      status?: IncidentStatus;
      updatedAt: string;
      messageIds: string[];
    },
  ): Promise<void>;
  /** Reference number of the incident that holds any of these ids. */
  findByMessageIds(messageIds: string[]): Promise<string | undefined>;
  /** The incident, or undefined. */
  getIncident(referenceNumber: string): Promise<Incident | undefined>;
  /** The incident's thread entries, oldest first. */
  listEntries(referenceNumber: string): Promise<ThreadEntry[]>;
  /** Incidents newest first, filtered, paged. */
  listIncidents(
    query: IncidentQuery,
  ): Promise<{ items: Incident[]; nextToken?: string }>;
  /**
   * Messages counted for a sender (flood control) in the `windowHours`
   * hourly buckets that end with the hour of `now`.
   */
  countSenderMessages(
    mailboxId: string,
    sender: string,
    windowHours: number,
    now: Date,
  ): Promise<number>;
  /** Counts one more message from the sender in the hour of `now`. */
  addSenderMessage(mailboxId: string, sender: string, now: Date): Promise<void>;
}

/** Object store for raw messages, attachments and quarantine. */
export interface BlobStore {
  /** Stores bytes under a key (overwrites: keys are content-derived). */
  put(key: string, body: Buffer, contentType: string): Promise<void>;
  /**
   * Stores bytes unless the key already holds an object, so repeating the
   * write adds no version to a versioned bucket.
   */
  putIfAbsent(key: string, body: Buffer, contentType: string): Promise<void>;
  /** Reads bytes; undefined when absent. */
  get(key: string): Promise<Buffer | undefined>;
}

/** Response headers and lifetime of a download link. */
export interface BlobLinkOptions {
  /** Seconds the link works for. */
  readonly expiresInSeconds: number;
  /** `Content-Type` the download is served with. */
  readonly contentType?: string;
  /** `Content-Disposition` the download is served with. */
  readonly contentDisposition?: string;
}

/**
 * Time-limited links that let a client fetch an object straight from the
 * object store, so large bytes never pass through a function's response.
 */
export interface BlobLinks {
  /** A URL that GETs the object until it expires; made without a call. */
  linkToGet(key: string, options: BlobLinkOptions): Promise<string>;
}

/** Mailbox passwords. */
export interface SecretStore {
  /** Returns the password; `forceFetch` bypasses any cache. */
  getPassword(
    secretName: string,
    options?: { forceFetch?: boolean },
  ): Promise<string>;
  /** Creates or replaces the password. */
  putPassword(secretName: string, password: string): Promise<void>;
  /** Removes the secret. */
  deletePassword(secretName: string): Promise<void>;
}
