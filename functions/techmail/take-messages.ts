/**
 * The message loop of a mailbox run: each pending message is retrieved,
 * turned into its durable outcome, then marked deleted (or remembered,
 * when mail stays on the server), until the invocation runs short of time.
 */
import { logger } from '../commons/powertools/logger.js';
import type { Mailbox, RunMessage } from '../model.js';
import type { BlobStore, IncidentStore, LeaseStore } from '../store/ports.js';
import { InFlightWrites } from './in-flight-writes.js';
import type { MailSource, ServerMessage } from './mail-source.js';
import { MAX_RETRIEVE_BYTES } from './message-size.js';
import { type FinishMessage, MessageWindow } from './message-window.js';
import {
  type IncomingMessage,
  type ProcessOptions,
  startMessage,
} from './process-message.js';
import { filterUnseen, rememberSeen } from './seen-messages.js';

/**
 * Stop taking new messages when less than this remains of the invocation:
 * enough to finish the message in hand, QUIT, and write the run record.
 */
export const RUN_SAFETY_MARGIN_MS = 60_000;

/** The lease is renewed when less than this share of its time remains. */
const LEASE_RENEW_FRACTION = 0.5;

/** What the loop talks to. */
export interface TakeDependencies {
  incidents: IncidentStore;
  blobs: BlobStore;
  leases: LeaseStore;
  /** Milliseconds left before the invocation is cut off. */
  remainingTimeMs(): number;
  leaseTtlMs: number;
  now(): Date;
}

/** Where the loop reports each message. */
export interface TakeProgress {
  readonly runId: string;
  add(entry: RunMessage): Promise<void>;
}

/**
 * The listed messages this run should take. Mailboxes that keep mail on
 * the server skip what they took before; every mailbox skips a message too
 * large to retrieve once it has been noted, since it stays on the server.
 *
 * @param mailbox the mailbox
 * @param listed what the server lists
 * @param incidents where taken UIDLs are remembered
 * @returns the messages to take, in server order
 */
export async function listPending(
  mailbox: Mailbox,
  listed: readonly ServerMessage[],
  incidents: IncidentStore,
): Promise<ServerMessage[]> {
  if (mailbox.leaveOnServer) return filterUnseen(mailbox.id, listed, incidents);
  const tooLarge = listed.filter((m) => m.sizeBytes > MAX_RETRIEVE_BYTES);
  const unseen = new Set(await filterUnseen(mailbox.id, tooLarge, incidents));

  return listed.filter(
    (message) => message.sizeBytes <= MAX_RETRIEVE_BYTES || unseen.has(message),
  );
}

/**
 * Takes messages until all are done or time runs short. Messages too large
 * to retrieve are taken first, by their headers; the rest are retrieved in
 * server order. Decisions are made one at a time in that order while the
 * writes of up to MESSAGES_IN_FLIGHT messages overlap; each message is
 * marked deleted (or remembered) and reported, in order, once its own
 * writes are durable.
 *
 * @param mailbox the mailbox
 * @param source the open session
 * @param pending the messages to take (from {@link listPending})
 * @param deps stores, lease and clocks
 * @param progress the run's record of messages
 * @param options our addresses and Message-ID domain
 * @returns how many messages were taken
 */
export async function takeMessages(
  mailbox: Mailbox,
  source: MailSource,
  pending: readonly ServerMessage[],
  deps: TakeDependencies,
  progress: TakeProgress,
  options: ProcessOptions,
): Promise<number> {
  const window = new MessageWindow(finishWith(mailbox, source, deps, progress));
  const inFlight = new InFlightWrites();
  const take = async (message: ServerMessage, incoming: IncomingMessage) => {
    const sizeBytes = incoming.raw.length;
    if (!(await window.makeRoom(sizeBytes))) return false;
    const { written } = await startMessage(
      mailbox,
      incoming,
      deps,
      deps.now(),
      options,
      inFlight,
    );
    window.add(message, sizeBytes, written);

    return deps.remainingTimeMs() >= RUN_SAFETY_MARGIN_MS;
  };

  try {
    await takeInOrder(source, pending, take);
  } catch (error) {
    // Messages already started are finished even so: their writes are
    // durable, and deleting them spares the next run a roll-forward.
    await window.drain().catch((failure: unknown) => {
      logger.warn('message failed while the run was stopping', {
        mailboxId: mailbox.id,
        error: failure as Error,
      });
    });
    throw error;
  }
  await window.drain();

  return window.finished;
}

/**
 * What becomes of a message once its writes are durable: it is marked
 * deleted (or remembered, when it stays on the server) and reported, and
 * the lease is renewed when half of it has run out.
 */
function finishWith(
  mailbox: Mailbox,
  source: MailSource,
  deps: TakeDependencies,
  progress: TakeProgress,
): FinishMessage {
  let leaseRenewedAt = deps.now().getTime();

  return async (message, entry) => {
    const keep =
      mailbox.leaveOnServer || message.sizeBytes > MAX_RETRIEVE_BYTES;
    if (keep) {
      await rememberSeen(mailbox.id, message.uid, deps.incidents);
    } else {
      source.markDeleted(message.msgNo);
    }
    await progress.add(entry);
    const now = deps.now().getTime();
    if (now - leaseRenewedAt > deps.leaseTtlMs * LEASE_RENEW_FRACTION) {
      await deps.leases.renew(
        mailbox.id,
        progress.runId,
        deps.leaseTtlMs,
        deps.now(),
      );
      leaseRenewedAt = now;
    }
  };
}

/**
 * Hands each pending message to `take`, the ones too large to retrieve
 * first (by their headers), until `take` says stop.
 */
async function takeInOrder(
  source: MailSource,
  pending: readonly ServerMessage[],
  take: (message: ServerMessage, incoming: IncomingMessage) => Promise<boolean>,
): Promise<void> {
  const tooLarge = pending.filter((m) => m.sizeBytes > MAX_RETRIEVE_BYTES);
  for (const message of tooLarge) {
    const raw =
      (await source.retrieveHeaders(message)) ?? placeholderHeader(message);
    const incoming = {
      uid: message.uid,
      raw,
      sizeBytes: message.sizeBytes,
      headersOnly: true,
    };
    if (!(await take(message, incoming))) return;
  }
  const fetchable = pending.filter((m) => m.sizeBytes <= MAX_RETRIEVE_BYTES);
  await source.retrieve(fetchable, (message, raw) =>
    take(message, { uid: message.uid, raw }),
  );
}

/**
 * Stands in for the header of a message the server would not send even
 * the header of, so the message still gets its incident; the UIDL keeps
 * two such messages apart.
 */
function placeholderHeader(message: ServerMessage): Buffer {
  return Buffer.from(
    `Subject: Message ${message.uid} of ${message.sizeBytes} bytes, too large to fetch; the server sent no header\r\n\r\n`,
    'latin1',
  );
}
