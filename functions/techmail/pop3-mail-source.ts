import type { Mailbox } from '../model.js';
import { Pop3Session } from '../pop3/pop3-session.js';
import type { MailSource, ServerMessage } from './mail-source.js';

/**
 * Messages asked for in one pipelined batch. Between batches the run checks
 * its clock, so a batch must stay small enough to finish inside the safety
 * margin even at a slow server, and large enough to keep the window full.
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
    let keepGoing = true;
    for (let start = 0; keepGoing && start < messages.length; ) {
      const batch = messages.slice(start, start + RETRIEVE_BATCH_MESSAGES);
      const byNumber = new Map(
        batch.map((message) => [message.msgNo, message]),
      );
      await this.session.retrMany(
        batch.map((message) => message.msgNo),
        async (raw, msgNo) => {
          const message = byNumber.get(msgNo);
          if (keepGoing && message) keepGoing = await onMessage(message, raw);
        },
      );
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
