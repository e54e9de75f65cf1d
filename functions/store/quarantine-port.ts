import type { MessageOutcome } from '../model.js';

/** What became of a quarantined message that was processed again. */
export interface QuarantineRelease {
  /** The outcome of the second processing (`created`, `threaded`, …). */
  outcome: MessageOutcome;
  /** The incident it went to, when it went to one. */
  referenceNumber?: string;
  /** When it left quarantine. */
  releasedAt: string;
}

/** A message kept in quarantine: its raw bytes are in the blob store. */
export interface QuarantineRecord {
  mailboxId: string;
  /** SHA-256 of the raw bytes; with the mailbox it names the message. */
  sha256: string;
  /** Object key of the raw bytes. */
  key: string;
  /** Why it was quarantined, e.g. `unparseable` or `oversize`. */
  reason: string;
  /** Size of the raw bytes. */
  sizeBytes: number;
  /** When the quarantine decision was made. */
  quarantinedAt: string;
  /** Set once a reprocess took the message out of quarantine. */
  released?: QuarantineRelease;
}

/** One page of a mailbox's quarantine, newest first. */
export interface QuarantinePage {
  items: QuarantineRecord[];
  /** Present when there is another page. */
  nextToken?: string;
}

/**
 * The quarantine index: which messages of a mailbox are in quarantine, so
 * admins can list them without listing the bucket, and re-process them.
 */
export interface QuarantineStore {
  /**
   * Records a quarantined message. Idempotent: a second call for the same
   * mailbox and bytes keeps the first record.
   */
  putQuarantined(record: QuarantineRecord): Promise<void>;
  /** The record of a message, released or not, or undefined. */
  getQuarantined(
    mailboxId: string,
    sha256: string,
  ): Promise<QuarantineRecord | undefined>;
  /** Messages still in quarantine, newest first, `limit` per page. */
  listQuarantined(
    mailboxId: string,
    page: { limit: number; nextToken?: string },
  ): Promise<QuarantinePage>;
  /** Takes a message out of the listing and records what it became. */
  releaseQuarantined(
    mailboxId: string,
    sha256: string,
    release: QuarantineRelease,
  ): Promise<void>;
  /**
   * Deletes a message's ledger record if it still says `quarantined`, so
   * the message can be decided again; any other record is left alone.
   */
  forgetQuarantineDecision(
    mailboxId: string,
    messageKey: string,
  ): Promise<void>;
}
