import { Pop3AuthError } from '../../functions/pop3/errors.js';
import type {
  MailSource,
  ServerMessage,
} from '../../functions/techmail/mail-source.js';

/** A message held by a {@link ScriptedMailbox}. */
export interface ScriptedMessage {
  readonly uid: string;
  readonly raw: Buffer;
  /**
   * Size the server lists, to stand in for a message too large to hold in
   * a test.
   * @default the length of `raw`
   */
  readonly listedSize?: number;
}

/** Options of a {@link ScriptedMailbox}. */
export interface ScriptedMailboxOptions {
  /** The password the server accepts. */
  readonly password: string;
  /** Messages on the server at the start, in server order. */
  readonly messages?: readonly ScriptedMessage[];
  /**
   * Where events are written; pass the same array to other fakes to see
   * the order of everything.
   * @default a new array
   */
  readonly log?: string[];
  /**
   * Answer TOP with -ERR, as a server without TOP does.
   * @default false
   */
  readonly refuseTop?: boolean;
}

/**
 * An in-memory mail server behind the {@link MailSource} port. It keeps its
 * messages across sessions, deletes only on `commit` (like POP3's QUIT) and
 * writes every step to `log`: `login`, `login-rejected`, `list`,
 * `retr <uid>`, `top <uid>`, `dele <uid>`, `commit`, `abandon`.
 */
export class ScriptedMailbox {
  /** Everything the server saw, in order. */
  readonly log: string[];
  /** The password the server accepts. */
  readonly password: string;
  /** Whether TOP is refused. */
  readonly refuseTop: boolean;
  private stored: ScriptedMessage[];

  /** @param options password, messages, log and TOP support */
  constructor(options: ScriptedMailboxOptions) {
    this.password = options.password;
    this.refuseTop = options.refuseTop ?? false;
    this.stored = [...(options.messages ?? [])];
    this.log = options.log ?? [];
  }

  /** The UIDLs of the messages still on the server. */
  get uids(): string[] {
    return this.stored.map((message) => message.uid);
  }

  /**
   * Puts a new message at the end of the mailbox.
   *
   * @param uid its UIDL
   * @param raw its bytes
   */
  deliver(uid: string, raw: Buffer): void {
    this.stored.push({ uid, raw });
  }

  /**
   * Opens a session, the way `RunDependencies.connect` does.
   *
   * @param password the password offered
   * @returns a session over a snapshot of the mailbox
   * @throws Pop3AuthError when the password is not the server's
   */
  readonly connect = async (
    _mailbox: unknown,
    password: string,
  ): Promise<MailSource> => {
    if (password !== this.password) {
      this.log.push('login-rejected');
      throw new Pop3AuthError('AUTH', 'invalid user name or password');
    }
    this.log.push('login');

    return new ScriptedSession(this, [...this.stored]);
  };

  /** Removes messages for good; called by a session's commit. */
  remove(uids: ReadonlySet<string>): void {
    this.stored = this.stored.filter((message) => !uids.has(message.uid));
  }
}

class ScriptedSession implements MailSource {
  private readonly deleted = new Set<string>();

  constructor(
    private readonly server: ScriptedMailbox,
    private readonly snapshot: readonly ScriptedMessage[],
  ) {}

  async listMessages(): Promise<ServerMessage[]> {
    this.server.log.push('list');

    return this.snapshot.map((message, index) => ({
      msgNo: index + 1,
      uid: message.uid,
      sizeBytes: message.listedSize ?? message.raw.length,
    }));
  }

  async retrieveHeaders(message: ServerMessage): Promise<Buffer | undefined> {
    const stored = this.messageAt(message.msgNo);
    this.server.log.push(`top ${stored.uid}`);
    if (this.server.refuseTop) return undefined;
    const end = stored.raw.indexOf('\r\n\r\n');

    return end < 0 ? stored.raw : stored.raw.subarray(0, end + 4);
  }

  async retrieve(
    messages: readonly ServerMessage[],
    onMessage: (message: ServerMessage, raw: Buffer) => Promise<boolean>,
  ): Promise<void> {
    for (const message of messages) {
      const stored = this.messageAt(message.msgNo);
      this.server.log.push(`retr ${stored.uid}`);
      if (!(await onMessage(message, stored.raw))) return;
    }
  }

  markDeleted(msgNo: number): void {
    const { uid } = this.messageAt(msgNo);
    this.server.log.push(`dele ${uid}`);
    this.deleted.add(uid);
  }

  async commit(): Promise<void> {
    this.server.log.push('commit');
    this.server.remove(this.deleted);
  }

  abandon(): void {
    this.server.log.push('abandon');
  }

  private messageAt(msgNo: number): ScriptedMessage {
    const message = this.snapshot[msgNo - 1];
    if (!message) throw new Error(`no message ${msgNo} in this session`);

    return message;
  }
}
