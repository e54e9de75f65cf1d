/**
 * Carries out a recorded ledger decision: stores the raw bytes, the
 * attachments, the incident and its entry. Every write is idempotent and
 * depends only on the record and the message's bytes, so a rerun after a
 * crash writes the same items again (roll forward).
 */
import { sanitizeHtml } from '../mail/html-sanitizer.js';
import { sha256Hex } from '../mail/message-key.js';
import type { ParsedMessage } from '../mail/parse-message.js';
import type {
  AttachmentMeta,
  Incident,
  Mailbox,
  ThreadEntry,
  ThreadEntryKind,
} from '../model.js';
import type { BlobStore, IncidentStore, LedgerRecord } from '../store/ports.js';
import { oversizeNote } from './message-size.js';
import {
  attachmentKey,
  entryBodyKey,
  quarantineKey,
  rawMessageKey,
} from './object-keys.js';

/**
 * Text plus HTML kept on a thread entry item. DynamoDB items are limited to
 * 400 KB; the rest of the entry (addresses, attachment list) needs room.
 */
export const ENTRY_INLINE_BODY_BYTES = 128 * 1024;

/** Characters of text kept on an entry whose body moved to the blob store. */
export const ENTRY_TEXT_PREVIEW_CHARS = 4096;

/** Object puts of one message sent at once. */
const BLOB_PUTS_IN_FLIGHT = 8;

/** Stores one message's processing needs. */
export interface MessageStores {
  incidents: IncidentStore;
  blobs: BlobStore;
}

/** One message as taken from the server. */
export interface IncomingMessage {
  uid: string;
  /** The exact bytes; only the header section when `headersOnly`. */
  raw: Buffer;
  /** Size the server listed; defaults to the length of `raw`. */
  sizeBytes?: number;
  /**
   * The message was too large to retrieve (see `message-size.ts`) and
   * `raw` holds only its header section, from TOP n 0.
   */
  headersOnly?: boolean;
}

/** A ledger decision together with the parsed message it was made for. */
export interface Decided {
  record: LedgerRecord;
  /** Absent when the message could not be parsed. */
  parsed?: ParsedMessage;
}

/**
 * Performs the writes of a recorded decision.
 *
 * @param mailbox the mailbox the message came from
 * @param message the message as taken from the server
 * @param decided the ledger record and the parsed message
 * @param stores the incident store and the blob store
 */
export async function applyDecision(
  mailbox: Mailbox,
  message: IncomingMessage,
  { record, parsed }: Decided,
  stores: MessageStores,
): Promise<void> {
  if (record.outcome === 'quarantined' || !parsed) {
    await quarantine(mailbox, message.raw, record, stores);
    return;
  }
  if (record.outcome === 'suppressed') {
    // Kept for audit and for an admin who disagrees with the classifier.
    const rawKey = rawMessageKey(mailbox.id, record.sha256);
    await stores.blobs.put(rawKey, message.raw, 'message/rfc822');
    return;
  }
  const ref = record.referenceNumber;
  if (!ref || !record.entryId) return;

  const entry =
    record.reason === 'oversize'
      ? await oversizeEntry(mailbox, message, parsed, record, stores)
      : await fullEntry(mailbox, message.raw, parsed, record, stores);
  // The incident and its entry are separate items that neither write
  // reads, so they go out together; a crash between them is finished by
  // the rerun like any other half-done message.
  if (record.outcome === 'created') {
    await Promise.all([
      stores.incidents.putIncident(toIncident(mailbox, parsed, record)),
      stores.incidents.putEntry(ref, entry),
    ]);
    return;
  }
  await Promise.all([
    stores.incidents.putEntry(ref, entry),
    // An auto-reply or a bounce is kept on the incident as a note; only
    // what a person wrote marks the incident updated for the agents.
    stores.incidents.touchIncident(ref, {
      status: entry.kind === 'customer' ? 'updated' : undefined,
      updatedAt: record.decidedAt,
      messageIds: parsed.messageId ? [parsed.messageId] : [],
    }),
  ]);
}

async function quarantine(
  mailbox: Mailbox,
  raw: Buffer,
  record: LedgerRecord,
  stores: MessageStores,
): Promise<void> {
  const key = quarantineKey(mailbox.id, record.sha256);
  await stores.blobs.put(key, raw, 'message/rfc822');
  await stores.incidents.putQuarantined({
    mailboxId: mailbox.id,
    sha256: record.sha256,
    key,
    reason: record.reason ?? 'unparseable',
    sizeBytes: raw.length,
    quarantinedAt: record.decidedAt,
  });
}

/**
 * Every object the entry points at (the raw message, the attachments, a
 * body too large for the item) is stored before the entry is returned, so
 * an entry is never written ahead of its objects. Their keys derive from
 * the record, so the objects go out together.
 */
async function fullEntry(
  mailbox: Mailbox,
  raw: Buffer,
  parsed: ParsedMessage,
  record: LedgerRecord,
  stores: MessageStores,
): Promise<ThreadEntry> {
  const ref = record.referenceNumber ?? '';
  const rawKey = rawMessageKey(mailbox.id, record.sha256);
  const files = parsed.attachments.map((attachment) => ({
    attachment,
    meta: toAttachmentMeta(attachment, ref, record),
  }));
  const attachments = files.map(({ meta }) => meta);
  const html =
    parsed.html &&
    sanitizeHtml(parsed.html, { cidMap: cidLinks(ref, attachments) });
  const entry = toEntry(mailbox, parsed, record, { rawKey, attachments, html });
  const { fitted, body } = fitEntry(entry, ref);

  const objects: BlobWrite[] = [
    { key: rawKey, body: raw, contentType: 'message/rfc822' },
    ...files.map(({ attachment, meta }) => ({
      key: meta.storageKey,
      body: attachment.content,
      contentType: attachment.contentType,
    })),
    ...(body ? [body] : []),
  ];
  await putAll(stores.blobs, objects);

  return fitted;
}

/**
 * The entry of an oversize message: its headers and a note. Bytes that
 * were retrieved go to quarantine whole; of a message left on the server
 * only the header section exists, and is kept as its raw object.
 */
async function oversizeEntry(
  mailbox: Mailbox,
  message: IncomingMessage,
  parsed: ParsedMessage,
  record: LedgerRecord,
  stores: MessageStores,
): Promise<ThreadEntry> {
  const sizeBytes = message.sizeBytes ?? message.raw.length;
  let rawKey: string;
  let kept: string | undefined;
  if (message.headersOnly) {
    rawKey = rawMessageKey(mailbox.id, sha256Hex(message.raw));
    await stores.blobs.put(rawKey, message.raw, 'text/rfc822-headers');
  } else {
    await quarantine(mailbox, message.raw, record, stores);
    rawKey = quarantineKey(mailbox.id, record.sha256);
    kept = rawKey;
  }
  const text = oversizeNote({
    sizeBytes,
    limitBytes: mailbox.maxMessageBytes,
    quarantineKey: kept,
  });

  return toEntry(mailbox, { ...parsed, text }, record, {
    rawKey,
    attachments: [],
    html: undefined,
  });
}

function toAttachmentMeta(
  attachment: ParsedMessage['attachments'][number],
  ref: string,
  record: LedgerRecord,
): AttachmentMeta {
  return {
    filename: attachment.filename,
    contentType: attachment.contentType,
    size: attachment.size,
    sha256: attachment.sha256,
    contentId: attachment.contentId,
    inline: attachment.inline,
    storageKey: attachmentKey(ref, record.entryId ?? '', attachment.sha256),
  };
}

/** One object to store. */
interface BlobWrite {
  key: string;
  body: Buffer;
  contentType: string;
}

/**
 * Stores the objects at most BLOB_PUTS_IN_FLIGHT at a time: a message may
 * carry hundreds of attachments, and each put holds a connection.
 */
async function putAll(
  blobs: BlobStore,
  objects: readonly BlobWrite[],
): Promise<void> {
  for (let start = 0; start < objects.length; start += BLOB_PUTS_IN_FLIGHT) {
    const batch = objects.slice(start, start + BLOB_PUTS_IN_FLIGHT);
    await Promise.all(
      batch.map(({ key, body, contentType }) =>
        blobs.put(key, body, contentType),
      ),
    );
  }
}

function toIncident(
  mailbox: Mailbox,
  parsed: ParsedMessage,
  record: LedgerRecord,
): Incident {
  return {
    referenceNumber: record.referenceNumber ?? '',
    subject: parsed.subject,
    contact: parsed.from,
    mailboxId: mailbox.id,
    interfaceId: mailbox.interfaceId,
    status: 'new',
    createdAt: record.decidedAt,
    updatedAt: record.decidedAt,
    messageIds: parsed.messageId ? [parsed.messageId] : [],
    ...(record.relatedReferenceNumber === undefined
      ? {}
      : { relatedReferenceNumbers: [record.relatedReferenceNumber] }),
  };
}

/** The entry kind a decision stands for: notes of machines, or a person. */
function entryKind(record: LedgerRecord): ThreadEntryKind {
  if (record.reason === 'bounce') return 'bounce';
  if (record.reason === 'auto-reply') return 'auto-reply';

  return 'customer';
}

function toEntry(
  mailbox: Mailbox,
  parsed: ParsedMessage,
  record: LedgerRecord,
  stored: {
    rawKey: string;
    attachments: AttachmentMeta[];
    html: string | undefined;
  },
): ThreadEntry {
  return {
    entryId: record.entryId ?? '',
    kind: entryKind(record),
    messageId: parsed.messageId,
    from: parsed.from,
    to: parsed.to,
    cc: parsed.cc,
    subject: parsed.subject,
    receivedAt: record.decidedAt,
    sentAt: parsed.date?.toISOString(),
    text: parsed.text,
    ...stored,
    mailboxId: mailbox.id,
  };
}

/**
 * Inline images point at the attachment route, so an agent's browser
 * fetches them through the API instead of from the sender's servers.
 */
function cidLinks(
  ref: string,
  attachments: readonly AttachmentMeta[],
): Map<string, string> {
  const links = new Map<string, string>();
  for (const attachment of attachments) {
    if (attachment.contentId) {
      links.set(
        attachment.contentId,
        `/incidents/${ref}/attachments/${attachment.sha256}`,
      );
    }
  }

  return links;
}

/**
 * Keeps an entry under DynamoDB's 400 KB item limit: bodies above
 * ENTRY_INLINE_BODY_BYTES move to the blob store whole, and the entry keeps
 * the start of the text; the incidents API links clients to the whole body.
 */
function fitEntry(
  entry: ThreadEntry,
  ref: string,
): { fitted: ThreadEntry; body?: BlobWrite } {
  const size =
    Buffer.byteLength(entry.text) + Buffer.byteLength(entry.html ?? '');
  if (size <= ENTRY_INLINE_BODY_BYTES) return { fitted: entry };

  const bodyKey = entryBodyKey(ref, entry.entryId);
  const body = JSON.stringify({ text: entry.text, html: entry.html });

  return {
    fitted: {
      ...entry,
      text: entry.text.slice(0, ENTRY_TEXT_PREVIEW_CHARS),
      html: undefined,
      bodyKey,
    },
    body: {
      key: bodyKey,
      body: Buffer.from(body),
      contentType: 'application/json',
    },
  };
}
