import { randomUUID } from 'node:crypto';
import { decideThread } from '../incidents/threading.js';
import { MailParseError } from '../mail/errors.js';
import { sanitizeHtml } from '../mail/html-sanitizer.js';
import { contentKey, messageKey, sha256Hex } from '../mail/message-key.js';
import { type ParsedMessage, parseMessage } from '../mail/parse-message.js';
import type {
  AttachmentMeta,
  Incident,
  Mailbox,
  RunMessage,
  ThreadEntry,
} from '../model.js';
import type { BlobStore, IncidentStore, LedgerRecord } from '../store/ports.js';
import { limitStoredFields } from './stored-fields.js';

/**
 * Text plus HTML kept on a thread entry item. DynamoDB items are limited to
 * 400 KB; the rest of the entry (addresses, attachment list) needs room.
 */
export const ENTRY_INLINE_BODY_BYTES = 128 * 1024;

/** Characters of text kept on an entry whose body moved to the blob store. */
export const ENTRY_TEXT_PREVIEW_CHARS = 4096;

/** Stores one message's processing needs. */
export interface MessageStores {
  incidents: IncidentStore;
  blobs: BlobStore;
}

/** One message as taken from the server. */
export interface IncomingMessage {
  uid: string;
  raw: Buffer;
}

/** A ledger decision together with the parsed message it was made for. */
interface Decided {
  record: LedgerRecord;
  parsed?: ParsedMessage;
}

/**
 * Turns one raw message into exactly one durable outcome: a new incident,
 * a thread entry, or a quarantine record. Safe to call again for the same
 * bytes at any point: a finished message reports `duplicate`, a half-done
 * one is finished from its recorded decision (roll forward).
 *
 * @param mailbox the mailbox the message came from
 * @param message the server's uid and the exact bytes
 * @param stores the incident store and the blob store
 * @param now the time the decision is made (reference numbers use its day)
 * @returns the run entry for the message; its writes are durable
 */
export async function processMessage(
  mailbox: Mailbox,
  message: IncomingMessage,
  stores: MessageStores,
  now: Date,
): Promise<RunMessage> {
  const decided = await decide(mailbox, message.raw, stores, now);
  const { record } = decided;
  if (record.state === 'done') {
    return toRunMessage(message.uid, { ...record, outcome: 'duplicate' });
  }

  await apply(mailbox, message.raw, decided, stores);
  await stores.incidents.markLedgerDone(mailbox.id, record.messageKey);

  return toRunMessage(message.uid, record);
}

async function decide(
  mailbox: Mailbox,
  raw: Buffer,
  stores: MessageStores,
  now: Date,
): Promise<Decided> {
  const sha256 = sha256Hex(raw);
  if (raw.length > mailbox.maxMessageBytes) {
    const key = contentKey(raw);
    const record = await findOrRecord(stores, mailbox.id, key, () => ({
      outcome: 'quarantined',
      reason: 'oversize',
    }));
    return { record };
  }
  let parsed: ParsedMessage;
  try {
    parsed = limitStoredFields(await parseMessage(raw));
  } catch (error) {
    if (!(error instanceof MailParseError)) throw error;
    const key = contentKey(raw);
    const record = await findOrRecord(stores, mailbox.id, key, () => ({
      outcome: 'quarantined',
      reason: 'unparseable',
    }));
    return { record };
  }

  const key = await chooseKey(stores, mailbox.id, parsed.messageId, raw);
  const existing = await stores.incidents.getLedger(mailbox.id, key);
  if (existing) return { record: existing, parsed };

  const thread = await decideThread(parsed, {
    findByMessageIds: (ids) => stores.incidents.findByMessageIds(ids),
    exists: async (ref) =>
      (await stores.incidents.getIncident(ref)) !== undefined,
  });
  const proposal: LedgerRecord =
    thread.kind === 'thread'
      ? newRecord(mailbox.id, key, sha256, parsed, now, {
          outcome: 'threaded',
          referenceNumber: thread.referenceNumber,
        })
      : newRecord(mailbox.id, key, sha256, parsed, now, {
          outcome: 'created',
          referenceNumber: await stores.incidents.nextReferenceNumber(now),
        });
  const record = await stores.incidents.putLedgerIfAbsent(proposal);

  return { record, parsed };
}

/**
 * The ledger key of a message: its Message-ID, unless that id was already
 * used for different bytes (a broken mailer reusing ids), in which case the
 * content hash keeps the two messages apart.
 */
async function chooseKey(
  stores: MessageStores,
  mailboxId: string,
  messageId: string | undefined,
  raw: Buffer,
): Promise<string> {
  const key = messageKey(messageId, raw);
  const existing = await stores.incidents.getLedger(mailboxId, key);
  if (existing && existing.sha256 !== sha256Hex(raw)) return contentKey(raw);

  return key;
}

async function findOrRecord(
  stores: MessageStores,
  mailboxId: string,
  key: string,
  outcome: () => Pick<LedgerRecord, 'outcome' | 'reason'>,
): Promise<LedgerRecord> {
  const existing = await stores.incidents.getLedger(mailboxId, key);
  if (existing) return existing;
  const sha256 = key.slice(key.indexOf(':') + 1);

  return stores.incidents.putLedgerIfAbsent({
    mailboxId,
    messageKey: key,
    state: 'pending',
    sha256,
    ...outcome(),
    decidedAt: new Date().toISOString(),
  });
}

function newRecord(
  mailboxId: string,
  key: string,
  sha256: string,
  parsed: ParsedMessage,
  now: Date,
  decision: Pick<LedgerRecord, 'outcome' | 'referenceNumber' | 'reason'>,
): LedgerRecord {
  return {
    mailboxId,
    messageKey: key,
    state: 'pending',
    sha256,
    messageId: parsed.messageId,
    entryId: randomUUID(),
    decidedAt: now.toISOString(),
    ...decision,
  };
}

/** Performs the recorded decision's writes; every one is idempotent. */
async function apply(
  mailbox: Mailbox,
  raw: Buffer,
  { record, parsed }: Decided,
  stores: MessageStores,
): Promise<void> {
  if (record.outcome === 'quarantined' || !parsed) {
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
    return;
  }
  const ref = record.referenceNumber;
  if (!ref || !record.entryId) return;

  const rawKey = rawMessageKey(mailbox.id, record.sha256);
  await stores.blobs.put(rawKey, raw, 'message/rfc822');
  const attachments = await storeAttachments(parsed, ref, record, stores);
  const html =
    parsed.html &&
    sanitizeHtml(parsed.html, { cidMap: cidLinks(ref, attachments) });
  const entry = await fitEntry(
    toEntry(mailbox, parsed, record, rawKey, attachments, html),
    ref,
    stores.blobs,
  );

  if (record.outcome === 'created') {
    await stores.incidents.putIncident(toIncident(mailbox, parsed, record));
    await stores.incidents.putEntry(ref, entry);
    return;
  }
  await stores.incidents.putEntry(ref, entry);
  await stores.incidents.touchIncident(ref, {
    status: 'updated',
    updatedAt: record.decidedAt,
    messageIds: parsed.messageId ? [parsed.messageId] : [],
  });
}

async function storeAttachments(
  parsed: ParsedMessage,
  ref: string,
  record: LedgerRecord,
  stores: MessageStores,
): Promise<AttachmentMeta[]> {
  const metas: AttachmentMeta[] = [];
  for (const attachment of parsed.attachments) {
    const storageKey = `attachments/${ref}/${record.entryId}/${attachment.sha256}`;
    await stores.blobs.put(
      storageKey,
      attachment.content,
      attachment.contentType,
    );
    metas.push({
      filename: attachment.filename,
      contentType: attachment.contentType,
      size: attachment.size,
      sha256: attachment.sha256,
      contentId: attachment.contentId,
      inline: attachment.inline,
      storageKey,
    });
  }

  return metas;
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
  };
}

function toEntry(
  mailbox: Mailbox,
  parsed: ParsedMessage,
  record: LedgerRecord,
  rawKey: string,
  attachments: AttachmentMeta[],
  html: string | undefined,
): ThreadEntry {
  return {
    entryId: record.entryId ?? '',
    kind: 'customer',
    messageId: parsed.messageId,
    from: parsed.from,
    to: parsed.to,
    cc: parsed.cc,
    subject: parsed.subject,
    receivedAt: record.decidedAt,
    sentAt: parsed.date?.toISOString(),
    text: parsed.text,
    html,
    attachments,
    rawKey,
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
 * the start of the text; the incidents API puts the whole body back.
 */
async function fitEntry(
  entry: ThreadEntry,
  ref: string,
  blobs: BlobStore,
): Promise<ThreadEntry> {
  const size =
    Buffer.byteLength(entry.text) + Buffer.byteLength(entry.html ?? '');
  if (size <= ENTRY_INLINE_BODY_BYTES) return entry;

  const bodyKey = entryBodyKey(ref, entry.entryId);
  const body = JSON.stringify({ text: entry.text, html: entry.html });
  await blobs.put(bodyKey, Buffer.from(body), 'application/json');

  return {
    ...entry,
    text: entry.text.slice(0, ENTRY_TEXT_PREVIEW_CHARS),
    html: undefined,
    bodyKey,
  };
}

function toRunMessage(uid: string, record: LedgerRecord): RunMessage {
  return {
    uidl: uid,
    messageId: record.messageId,
    outcome: record.outcome,
    reason: record.reason,
    referenceNumber: record.referenceNumber,
  };
}

/** Object key of an entry's full body when it is kept outside the entry. */
export function entryBodyKey(ref: string, entryId: string): string {
  return `bodies/${ref}/${entryId}.json`;
}

/** Object key of a message's raw bytes. */
export function rawMessageKey(mailboxId: string, sha256: string): string {
  return `raw/${mailboxId}/${sha256}.eml`;
}

/** Object key of a quarantined message's raw bytes. */
export function quarantineKey(mailboxId: string, sha256: string): string {
  return `quarantine/${mailboxId}/${sha256}.eml`;
}
