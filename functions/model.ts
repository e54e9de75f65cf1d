/**
 * The service's records as the stores keep them and the API returns them.
 * Passwords never appear here: they live only in the secret store.
 */

/** How the POP3 connection is protected. */
export type Pop3Security = 'tls' | 'starttls' | 'none';

/**
 * How eagerly a mailbox treats mail as automatic (auto-replies, list mail,
 * bounces recognised by heuristics); `functions/classify` defines which
 * signals each level acts on.
 */
export type AutoReplyDetection =
  | 'off'
  | 'conservative'
  | 'moderate'
  | 'aggressive';

/**
 * Who may add to an existing incident by mail: `anyone` quoting it, or
 * only its `contact` and the addresses its entries were sent to or copied.
 */
export type UpdatePolicy = 'anyone' | 'contact';

/** Health of a mailbox as shown to admins. */
export type MailboxStatus = 'ok' | 'never-run' | 'login-failed' | 'failing';

/** A POP3 account bound to an interface (brand or product line). */
export interface Mailbox {
  id: string;
  name: string;
  popServer: string;
  popPort: number;
  security: Pop3Security;
  popAccount: string;
  interfaceId: string;
  enabled: boolean;
  leaveOnServer: boolean;
  maxMessageBytes: number;
  /**
   * The mailbox's own e-mail addresses (lower case): mail from any
   * mailbox's address is the help desk's own mail coming back.
   */
  addresses: string[];
  autoReplyDetection: AutoReplyDetection;
  updatePolicy: UpdatePolicy;
  /** Messages one sender may send per window; 0 turns flood control off. */
  floodLimit: number;
  /** Length of the flood window in hours. */
  floodWindowHours: number;
  /** Name of the secret that holds the password. */
  secretName: string;
  status: MailboxStatus;
  lastError?: string;
  consecutiveFailures: number;
  /** ISO time before which scheduled runs are skipped after failures. */
  backoffUntil?: string;
  lastRun?: RunSummary;
  createdAt: string;
  updatedAt: string;
}

/** What started a run. */
export type RunTrigger = 'schedule' | 'on-demand';

/** Life cycle of a run. `skipped`: another run held the mailbox. */
export type RunStatus =
  | 'queued'
  | 'running'
  | 'succeeded'
  | 'failed'
  | 'skipped';

/** What became of one message. */
export type MessageOutcome =
  | 'created'
  | 'threaded'
  | 'suppressed'
  | 'quarantined'
  | 'duplicate';

/** Per-outcome counters of a run, plus `seen` (messages looked at). */
export interface RunCounts {
  seen: number;
  created: number;
  threaded: number;
  suppressed: number;
  quarantined: number;
  duplicate: number;
}

/** One message's line in a run record. */
export interface RunMessage {
  uidl: string;
  messageId?: string;
  outcome: MessageOutcome;
  reason?: string;
  referenceNumber?: string;
}

/** One run of one mailbox. */
export interface Run {
  runId: string;
  mailboxId: string;
  trigger: RunTrigger;
  status: RunStatus;
  queuedAt: string;
  startedAt?: string;
  finishedAt?: string;
  counts: RunCounts;
  messages: RunMessage[];
  error?: { code: string; message: string };
}

/** The part of a run shown on its mailbox. */
export interface RunSummary {
  runId: string;
  status: RunStatus;
  startedAt?: string;
  finishedAt?: string;
  counts: RunCounts;
}

/** Incident life cycle as far as mail is concerned. */
export type IncidentStatus = 'new' | 'updated' | 'closed';

/** An e-mail address with its display name. */
export interface Address {
  address: string;
  name?: string;
}

/** Metadata of an attachment; the bytes are in the object store. */
export interface AttachmentMeta {
  filename: string;
  contentType: string;
  size: number;
  sha256: string;
  contentId?: string;
  inline: boolean;
  /** Object-store key of the bytes. */
  storageKey: string;
}

/** Kind of a thread entry. */
export type ThreadEntryKind = 'customer' | 'auto-reply' | 'bounce' | 'note';

/** One message on an incident's thread. */
export interface ThreadEntry {
  entryId: string;
  kind: ThreadEntryKind;
  messageId?: string;
  from?: Address;
  to: Address[];
  cc: Address[];
  subject: string;
  /** When the service took the message in. */
  receivedAt: string;
  /** The message's own Date header, when it has a valid one. */
  sentAt?: string;
  text: string;
  /** HTML after the allow-list sanitiser; never the sender's raw HTML. */
  html?: string;
  /**
   * Object-store key of the full text and HTML when they were too large to
   * keep on the entry; `text` and `html` are then shortened.
   */
  bodyKey?: string;
  attachments: AttachmentMeta[];
  /** Object-store key of the raw message. */
  rawKey: string;
  mailboxId: string;
}

/** A help desk incident created from mail. */
export interface Incident {
  referenceNumber: string;
  subject: string;
  contact?: Address;
  mailboxId: string;
  interfaceId: string;
  status: IncidentStatus;
  createdAt: string;
  updatedAt: string;
  /** Message-IDs of the entries, used to thread replies. */
  messageIds: string[];
  /**
   * Incidents this one continues: set when a sender the update policy
   * refused wrote to an existing incident, which then got a new one.
   */
  relatedReferenceNumbers?: string[];
}

/** Zeroed run counters. */
export function emptyCounts(): RunCounts {
  return {
    seen: 0,
    created: 0,
    threaded: 0,
    suppressed: 0,
    quarantined: 0,
    duplicate: 0,
  };
}
