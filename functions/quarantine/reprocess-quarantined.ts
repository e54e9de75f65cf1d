import { NotFoundError } from '../commons/errors.js';
import { MailParseError } from '../mail/errors.js';
import { contentKey, sha256Hex } from '../mail/message-key.js';
import { parseMessage } from '../mail/parse-message.js';
import type { MessageOutcome } from '../model.js';
import type { BlobStore, IncidentStore, MailboxStore } from '../store/ports.js';
import type { QuarantineRecord } from '../store/quarantine-port.js';
import { processMessage } from '../techmail/process-message.js';

/** Stores a reprocess reads and writes. */
export interface ReprocessDependencies {
  mailboxes: MailboxStore;
  incidents: IncidentStore;
  blobs: BlobStore;
  now(): Date;
  /**
   * Domain of our outgoing Message-IDs, so a reprocessed message meets the
   * same loop check as in a run.
   * @default undefined (that loop check is off)
   */
  messageIdDomain?: string;
}

/** What a reprocess did. */
export type ReprocessResult =
  | {
      /** The message left quarantine. */
      status: 'released';
      mailboxId: string;
      sha256: string;
      /** `duplicate` when it had been stored by another way meanwhile. */
      outcome: MessageOutcome;
      referenceNumber?: string;
    }
  | {
      /** It still cannot be taken in; it stays listed. */
      status: 'still-quarantined';
      mailboxId: string;
      sha256: string;
      /** `unparseable` or `oversize`, as for a run. */
      reason: string;
      /** What is wrong and what would let it through. */
      message: string;
    };

/**
 * Takes a quarantined message through the pipeline again, e.g. after a
 * parser fix or a raised size limit. When it now parses, it becomes an
 * incident or thread entry exactly as a run would make it (the same
 * idempotent ledger, so repeated or concurrent requests create it once),
 * and it leaves the quarantine listing. When it still fails, nothing
 * changes and the result says why.
 *
 * @param mailboxId the mailbox it came from
 * @param sha256 SHA-256 of its raw bytes, as the listing gives it
 * @param deps the stores and the clock
 * @returns `released` with the outcome, or `still-quarantined` with why
 * @throws NotFoundError when the message or its mailbox does not exist
 */
export async function reprocessQuarantined(
  mailboxId: string,
  sha256: string,
  deps: ReprocessDependencies,
): Promise<ReprocessResult> {
  const record = await deps.incidents.getQuarantined(mailboxId, sha256);
  if (!record) {
    throw new NotFoundError('quarantined message', `${mailboxId}/${sha256}`);
  }
  if (record.released) {
    return { status: 'released', mailboxId, sha256, ...record.released };
  }
  const mailbox = await deps.mailboxes.get(mailboxId);
  if (!mailbox) throw new NotFoundError('mailbox', mailboxId);
  const raw = await readRaw(record, deps.blobs);

  const refusal = await whyStillRefused(raw, mailbox.maxMessageBytes);
  if (refusal) {
    return { status: 'still-quarantined', mailboxId, sha256, ...refusal };
  }
  // Only a `quarantined` record goes: without it the ledger would answer
  // "already done" for a message that has no Message-ID.
  await deps.incidents.forgetQuarantineDecision(mailboxId, contentKey(raw));
  const result = await processMessage(
    mailbox,
    { uid: `quarantine:${sha256}`, raw },
    deps,
    deps.now(),
    { messageIdDomain: deps.messageIdDomain },
  );
  if (result.outcome === 'quarantined') {
    return {
      status: 'still-quarantined',
      mailboxId,
      sha256,
      reason: result.reason ?? 'unparseable',
      message: 'the message was quarantined again; it stays listed',
    };
  }
  const release = {
    outcome: result.outcome,
    referenceNumber: result.referenceNumber,
    releasedAt: deps.now().toISOString(),
  };
  await deps.incidents.releaseQuarantined(mailboxId, sha256, release);

  return { status: 'released', mailboxId, sha256, ...release };
}

async function readRaw(
  record: QuarantineRecord,
  blobs: BlobStore,
): Promise<Buffer> {
  const raw = await blobs.get(record.key);
  if (!raw || sha256Hex(raw) !== record.sha256) {
    throw new NotFoundError('quarantined message bytes', record.key);
  }

  return raw;
}

async function whyStillRefused(
  raw: Buffer,
  maxMessageBytes: number,
): Promise<{ reason: string; message: string } | undefined> {
  if (raw.length > maxMessageBytes) {
    return {
      reason: 'oversize',
      message: `the message has ${raw.length} bytes, over the mailbox limit of ${maxMessageBytes}; raise maxMessageBytes and reprocess`,
    };
  }
  try {
    await parseMessage(raw);
  } catch (error) {
    if (!(error instanceof MailParseError)) throw error;
    return {
      reason: 'unparseable',
      message: `the parser still rejects the message (${error.reason}); it stays in quarantine`,
    };
  }

  return undefined;
}
