import { CommandPipeline } from './command-pipeline.js';
import { Pop3NetworkError } from './errors.js';
import {
  assertInteger,
  type Pop3ConnectOptions,
  resolveOptions,
} from './options.js';
import {
  assertOk,
  type Pop3Capabilities,
  type Pop3ListEntry,
  type Pop3Stat,
  type Pop3UidlEntry,
  parseList,
  parseStat,
  parseUidl,
} from './replies.js';
import type { Pop3Reply, ReplyShape } from './response-reader.js';
import { startSession } from './session-start.js';
import { openSocket, type TransportOptions } from './transport.js';

/**
 * Receives each message of {@link Pop3Session.retrMany}, in the order asked.
 * Returning a promise holds back the next delivery until it settles.
 */
export type Pop3MessageHandler = (
  message: Buffer,
  msgNo: number,
) => void | Promise<void>;

/**
 * An authenticated POP3 session (RFC 1939) in the TRANSACTION state.
 * Commands may be called without awaiting the previous one; they are sent
 * in order, several at once when the server advertises PIPELINING
 * (RFC 2449). Deletions take effect only through {@link quit};
 * {@link close} drops the connection so the server rolls them back.
 * @example
 * const session = await Pop3Session.connect({ host, username, password });
 * try {
 *   await session.retrMany([1, 2], (bytes, msgNo) => store(msgNo, bytes));
 *   await session.deleMany([1, 2]);
 *   await session.quit();
 * } finally {
 *   session.close();
 * }
 */
export class Pop3Session {
  private constructor(
    private readonly pipeline: CommandPipeline,
    private readonly advertised: Pop3Capabilities,
    private readonly window: number,
    private readonly endpoint: string,
  ) {}

  /**
   * Connects, reads the greeting and CAPA, secures the connection as asked
   * and logs in.
   * @param options server, security, credentials, deadlines
   * @returns a session ready for commands
   * @throws {ValidationError} when an option is wrong
   * @throws {Pop3NetworkError} when the connection or TLS fails
   * @throws {Pop3TimeoutError} when the connect or a reply is too slow
   * @throws {Pop3AuthError} when the server refuses the login
   * @throws {Pop3ProtocolError} when the server lacks STLS for `starttls`
   *   or misbehaves
   */
  static async connect(options: Pop3ConnectOptions): Promise<Pop3Session> {
    const settings = resolveOptions(options);
    const endpoint = `${settings.host}:${settings.port}`;
    const transport: TransportOptions = {
      host: settings.host,
      port: settings.port,
      implicitTls: settings.security === 'tls',
      connectTimeoutMs: settings.connectTimeoutMs,
      tls: settings.tls,
    };
    const socket = await openSocket(transport);
    const pipeline = new CommandPipeline(socket, {
      commandTimeoutMs: settings.commandTimeoutMs,
      maxResponseBytes: settings.maxResponseBytes,
      endpoint,
    });
    try {
      const capabilities = await startSession(pipeline, settings, transport);
      const window = capabilities.names.has('PIPELINING')
        ? settings.pipelineWindow
        : 1;
      pipeline.setWindow(window);

      return new Pop3Session(pipeline, capabilities, window, endpoint);
    } catch (error) {
      pipeline.abort(
        new Pop3NetworkError(
          'SESSION_CLOSED',
          `POP3 session with ${endpoint} was not opened`,
          undefined,
          { cause: error },
        ),
      );
      throw error;
    }
  }

  /** Capability names from CAPA after login, e.g. `PIPELINING`, `UIDL`. */
  get capabilities(): ReadonlySet<string> {
    return this.advertised.names;
  }

  /** Commands allowed in flight: the option with PIPELINING, else 1. */
  get pipelineWindow(): number {
    return this.window;
  }

  /** Whether the connection is gone (after QUIT, close or a failure). */
  get closed(): boolean {
    return this.pipeline.closed;
  }

  /**
   * Counts the messages in the mailbox.
   * @returns message count and total size in octets
   */
  async stat(): Promise<Pop3Stat> {
    const reply = await this.command('STAT', 'STAT', 'single');

    return parseStat(reply.text);
  }

  /**
   * Lists every message with its size.
   * @returns one entry per message not marked deleted
   */
  async list(): Promise<Pop3ListEntry[]> {
    const reply = await this.command('LIST', 'LIST', 'multi');

    return parseList(reply.body as Buffer);
  }

  /**
   * Lists every message with its unique id.
   * @returns one entry per message not marked deleted
   */
  async uidl(): Promise<Pop3UidlEntry[]> {
    const reply = await this.command('UIDL', 'UIDL', 'multi');

    return parseUidl(reply.body as Buffer);
  }

  /**
   * Retrieves one message.
   * @param msgNo message number from LIST or UIDL
   * @returns the message's exact bytes with CRLF line ends, never decoded
   */
  async retr(msgNo: number): Promise<Buffer> {
    assertInteger('msgNo', msgNo, 1);
    const reply = await this.command('RETR', `RETR ${msgNo}`, 'multi');

    return reply.body as Buffer;
  }

  /**
   * Retrieves the header and the first lines of the body of one message.
   * @param msgNo message number
   * @param lines body lines wanted after the header
   * @returns the bytes, as for {@link retr}
   */
  async top(msgNo: number, lines: number): Promise<Buffer> {
    assertInteger('msgNo', msgNo, 1);
    assertInteger('lines', lines, 0);
    const reply = await this.command('TOP', `TOP ${msgNo} ${lines}`, 'multi');

    return reply.body as Buffer;
  }

  /**
   * Marks one message deleted; QUIT makes it final.
   * @param msgNo message number
   */
  async dele(msgNo: number): Promise<void> {
    assertInteger('msgNo', msgNo, 1);
    await this.command('DELE', `DELE ${msgNo}`, 'single');
  }

  /** Unmarks every message marked deleted in this session. */
  async rset(): Promise<void> {
    await this.command('RSET', 'RSET', 'single');
  }

  /** Asks the server for a reply, keeping the session alive. */
  async noop(): Promise<void> {
    await this.command('NOOP', 'NOOP', 'single');
  }

  /**
   * Retrieves several messages, keeping up to {@link pipelineWindow}
   * RETRs in flight, and hands them over in the order of `msgNos`. On the
   * first failure no further RETR is sent, the ones in flight are awaited,
   * and the failure is thrown.
   * @param msgNos message numbers, in delivery order
   * @param onMessage receives each message; awaited before the next
   */
  async retrMany(
    msgNos: readonly number[],
    onMessage: Pop3MessageHandler,
  ): Promise<void> {
    await this.runWindowed(msgNos, (msgNo) => this.retr(msgNo), onMessage);
  }

  /**
   * Marks several messages deleted, pipelined like {@link retrMany}.
   * @param msgNos message numbers
   */
  async deleMany(msgNos: readonly number[]): Promise<void> {
    await this.runWindowed(
      msgNos,
      (msgNo) => this.dele(msgNo),
      () => {},
    );
  }

  /**
   * Ends the session with QUIT, which makes the deletions final. Resolves
   * once the server said `+OK`, even if it closes the connection at once.
   * @throws {Pop3ProtocolError} when the server reports that deleting failed
   */
  async quit(): Promise<void> {
    const reply = await this.pipeline.send('QUIT', 'QUIT', 'single');
    this.pipeline.finish();
    assertOk(reply, 'QUIT');
  }

  /**
   * Drops the connection without QUIT, so the server keeps every message
   * marked deleted. Pending commands reject. Safe to call at any time.
   */
  close(): void {
    this.pipeline.abort(
      new Pop3NetworkError(
        'SESSION_CLOSED',
        `POP3 session with ${this.endpoint} was closed without QUIT, so the server keeps the messages marked deleted`,
      ),
    );
  }

  private async command(
    name: string,
    line: string,
    shape: ReplyShape,
  ): Promise<Pop3Reply> {
    return assertOk(await this.pipeline.send(name, line, shape), line);
  }

  private async runWindowed<T>(
    msgNos: readonly number[],
    start: (msgNo: number) => Promise<T>,
    deliver: (result: T, msgNo: number) => void | Promise<void>,
  ): Promise<void> {
    for (const msgNo of msgNos) assertInteger('msgNos', msgNo, 1);
    const pending: { msgNo: number; result: Promise<T> }[] = [];
    let next = 0;
    const refill = () => {
      while (next < msgNos.length && pending.length < this.window) {
        const msgNo = msgNos[next++] as number;
        const result = start(msgNo);
        // Rethrown in order below; this only stops a later failure from
        // counting as unhandled while an earlier message is delivered.
        result.catch(() => {});
        pending.push({ msgNo, result });
      }
    };
    try {
      refill();
      for (let item = pending.shift(); item; item = pending.shift()) {
        const result = await item.result;
        refill();
        await deliver(result, item.msgNo);
      }
    } finally {
      await Promise.allSettled(pending.map((item) => item.result));
    }
  }
}
