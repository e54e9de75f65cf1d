import type { Mailbox } from '../model.js';
import { Pop3ProtocolError } from '../pop3/errors.js';
import { Pop3Session } from '../pop3/pop3-session.js';
import type { Pop3TlsOptions } from '../pop3/transport.js';
import type { MailSource, ServerMessage } from './mail-source.js';
import { MAX_RETR_REPLY_BYTES } from './message-size.js';

/**
 * Messages asked for in one pipelined batch. The run may stop after any
 * message; then only the RETRs already in flight (the session's pipeline
 * window) are awaited, never the rest of the batch.
 */
export const RETRIEVE_BATCH_MESSAGES = 64;

/**
 * Most bytes of messages asked for in one batch, by their LIST sizes. Every
 * RETR in flight may hold a whole message in memory; a message larger than
 * this goes in a batch of its own.
 */
export const RETRIEVE_BATCH_BYTES = 128 * 1024 * 1024;

/**
 * Opens a POP3 session on a mailbox and adapts it to {@link MailSource}.
 * Replies may be as large as the largest message a run retrieves, so a
 * message the run asks for never fails the session for its size.
 *
 * @param mailbox server, port, security and account
 * @param password the account's password (never logged or stored)
 * @param tls TLS settings; certificate checks stay on whatever is passed
 * @default tls: Node's roots plus `NODE_EXTRA_CA_CERTS` (production)
 * @returns an authenticated mail source
 */
export async function connectPop3(
  mailbox: Mailbox,
  password: string,
  tls?: Pop3TlsOptions,
): Promise<MailSource> {
  const session = await Pop3Session.connect({
    host: mailbox.popServer,
    port: mailbox.popPort,
    security: mailbox.security,
    username: mailbox.popAccount,
    password,
    maxResponseBytes: MAX_RETR_REPLY_BYTES,
    ...(tls === undefined ? {} : { tls }),
  });

  return new Pop3MailSource(session);
}

/** Thrown inside retrMany to end it when the run says stop. */
const STOP_RETRIEVING = Symbol('stop retrieving');

/** {@link MailSource} over one POP3 session. */
export class Pop3MailSource implements MailSource {
  private readonly deletions: Promise<void>[] = [];

  /** @param session an authenticated session */
  constructor(private readonly session: Pop3Session) {}

  async listMessages(): Promise<ServerMessage[]> {
    const [sizes, uids] = await Promise.all([
      this.session.list(),
      this.session.uidl(),
    ]);
    const sizeOf = new Map(sizes.map((entry) => [entry.msgNo, entry.size]));

    return uids.map((entry) => ({
      msgNo: entry.msgNo,
      uid: entry.uid,
      sizeBytes: sizeOf.get(entry.msgNo) ?? 0,
    }));
  }

  async retrieve(
    messages: readonly ServerMessage[],
    onMessage: (message: ServerMessage, raw: Buffer) => Promise<boolean>,
  ): Promise<void> {
    for (let start = 0; start < messages.length; ) {
      const batch = nextBatch(messages, start);
      const byNumber = new Map(
        batch.map((message) => [message.msgNo, message]),
      );
      let delivered = 0;
      try {
        await this.session.retrMany(
          batch.map((message) => message.msgNo),
          async (raw, msgNo) => {
            delivered += 1;
            const message = byNumber.get(msgNo);
            if (message && !(await onMessage(message, raw))) {
              // retrMany sends no further RETR once its handler throws.
              throw STOP_RETRIEVING;
            }
          },
        );
      } catch (error) {
        if (error === STOP_RETRIEVING) return;
        if (!this.isRefusal(error)) throw error;
        // Messages arrive in order and retrMany stops at the first refusal,
        // so the refused one is the first not handed over. It stays on the
        // server; skipping it keeps one unreadable message from blocking
        // every later one in the mailbox.
        start += delivered + 1;
        continue;
      }
      start += batch.length;
    }
  }

  /** A `-ERR` the server gave while keeping the session open. */
  private isRefusal(error: unknown): boolean {
    return (
      error instanceof Pop3ProtocolError &&
      error.serverText !== undefined &&
      !this.session.closed
    );
  }

  async retrieveHeaders(message: ServerMessage): Promise<Buffer | undefined> {
    try {
      return await this.session.top(message.msgNo, 0);
    } catch (error) {
      // TOP is optional in RFC 1939; a server that refuses it (-ERR, with
      // the session still open) leaves the message to be noted without.
      if (this.isRefusal(error)) return undefined;
      throw error;
    }
  }

  markDeleted(msgNo: number): void {
    const deletion = this.session.dele(msgNo);
    // Observed at commit; this keeps a failure from surfacing as unhandled
    // before then.
    deletion.catch(() => undefined);
    this.deletions.push(deletion);
  }

  async commit(): Promise<void> {
    const results = await Promise.allSettled(this.deletions);
    for (const result of results) {
      // A refused DELE leaves only that (already stored) message on the
      // server, to be reported as a duplicate next run; the other deletions
      // still deserve their QUIT.
      if (result.status === 'rejected' && !this.isRefusal(result.reason)) {
        throw result.reason;
      }
    }
    await this.session.quit();
  }

  abandon(): void {
    this.session.close();
  }
}

/**
 * The messages from `start` that go in one batch: at most
 * RETRIEVE_BATCH_MESSAGES, and at most RETRIEVE_BATCH_BYTES of them unless
 * a single message is larger.
 */
function nextBatch(
  messages: readonly ServerMessage[],
  start: number,
): ServerMessage[] {
  const batch: ServerMessage[] = [];
  let bytes = 0;
  for (const message of messages.slice(start)) {
    const full =
      batch.length === RETRIEVE_BATCH_MESSAGES ||
      (batch.length > 0 && bytes + message.sizeBytes > RETRIEVE_BATCH_BYTES);
    if (full) break;
    batch.push(message);
    bytes += message.sizeBytes;
  }

  return batch;
}
