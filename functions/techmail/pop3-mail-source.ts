import type { Mailbox } from '../model.js';
import { Pop3Session } from '../pop3/pop3-session.js';
import type { MailSource, ServerMessage } from './mail-source.js';

/**
 * Messages asked for in one pipelined batch. The run may stop after any
 * message; then only the RETRs already in flight (the session's pipeline
 * window) are awaited, never the rest of the batch.
 */
export const RETRIEVE_BATCH_MESSAGES = 64;

/**
 * Opens a POP3 session on a mailbox and adapts it to {@link MailSource}.
 *
 * @param mailbox server, port, security and account
 * @param password the account's password (never logged or stored)
 * @returns an authenticated mail source
 */
export async function connectPop3(
  mailbox: Mailbox,
  password: string,
): Promise<MailSource> {
  const session = await Pop3Session.connect({
    host: mailbox.popServer,
    port: mailbox.popPort,
    security: mailbox.security,
    username: mailbox.popAccount,
    password,
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
      const batch = messages.slice(start, start + RETRIEVE_BATCH_MESSAGES);
      const byNumber = new Map(
        batch.map((message) => [message.msgNo, message]),
      );
      try {
        await this.session.retrMany(
          batch.map((message) => message.msgNo),
          async (raw, msgNo) => {
            const message = byNumber.get(msgNo);
            if (message && !(await onMessage(message, raw))) {
              // retrMany sends no further RETR once its handler throws.
              throw STOP_RETRIEVING;
            }
          },
        );
      } catch (error) {
        if (error === STOP_RETRIEVING) return;
        throw error;
      }
      start += batch.length;
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
    await Promise.all(this.deletions);
    await this.session.quit();
  }

  abandon(): void {
    this.session.close();
  }
}
