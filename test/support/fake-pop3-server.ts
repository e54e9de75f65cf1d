import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { createSecureContext, type SecureContext, TLSSocket } from 'node:tls';

/** A throwaway self-signed certificate for `localhost` and `127.0.0.1`. */
export interface TestCertificate {
  /** Private key, PEM. */
  readonly key: string;
  /** Certificate, PEM; pass it as `ca` to trust it. */
  readonly cert: string;
}

/** What the fake server knows about a reply it is about to write. */
export interface ReplyInfo {
  /** Upper-cased command name, or `GREETING`. */
  readonly command: string;
  /** Index of the reply on its connection; the greeting is 0. */
  readonly index: number;
  /** The reply's bytes as they go on the wire. */
  readonly bytes: Buffer;
}

/** Behaviour of a {@link FakePop3Server}; every field is optional. */
export interface FakePop3ServerOptions {
  /** Message bodies; LF becomes CRLF and a final CRLF is added if absent. */
  readonly messages?: ReadonlyArray<string | Buffer>;
  /** @default 'alice' */
  readonly username?: string;
  /** @default 's3cret' */
  readonly password?: string;
  /**
   * CAPA lines; STLS is hidden once TLS is active.
   * @default ['USER', 'UIDL', 'TOP']
   */
  readonly capabilities?: readonly string[];
  /** Answer CAPA with -ERR, like an RFC 1939-only server. */
  readonly noCapa?: boolean;
  /** Certificate for implicit TLS and STLS. */
  readonly certificate?: TestCertificate;
  /** Speak TLS from the first byte (needs `certificate`). */
  readonly implicitTls?: boolean;
  /** Wait this long before each reply. */
  readonly replyDelayMs?: number;
  /** Write every reply in pieces of this many bytes. */
  readonly chunkSize?: number;
  /** Split the connection's output at this absolute byte offset. */
  readonly splitOutputAt?: number;
  /** Offsets (within the reply) at which to split a reply. */
  readonly splitReply?: (reply: ReplyInfo) => readonly number[];
  /** Never answer this command (and nothing after it). */
  readonly stallOn?: string;
  /** Drop the connection when this command arrives. */
  readonly cutOn?: string;
  /** Bytes of the reply to `cutOn` written before dropping. @default 0 */
  readonly cutAfterBytes?: number;
  /**
   * Answer these commands with `-ERR <text>`: a key is a command (`DELE`)
   * or a command with its argument (`RETR 2`) for one message only.
   */
  readonly errorOn?: Readonly<Record<string, string>>;
  /** Answer PASS and AUTH with `-ERR <text>`. */
  readonly rejectLogin?: string;
  /** Plaintext bytes written right after the STLS `+OK`. */
  readonly injectAfterStls?: string;
}

/** Something the server saw or did, in order. */
export interface ServerEvent {
  readonly type: 'received' | 'replied';
  /** The command line received, or the command name replied to. */
  readonly line: string;
}

/** What the server recorded about one connection. */
export interface ConnectionRecord {
  /** Bytes written to the client so far. */
  outputBytes: number;
  /** Whether the socket has closed. */
  closed: boolean;
}

interface StoredMessage {
  readonly bytes: Buffer;
  readonly uid: string;
}

interface Connection {
  socket: Socket;
  readonly record: ConnectionRecord;
  readonly queue: string[];
  input: string;
  busy: boolean;
  stopped: boolean;
  secure: boolean;
  replies: number;
  user: string | undefined;
  mailbox: StoredMessage[] | undefined;
  readonly deleted: Set<number>;
}

/**
 * Creates a self-signed certificate with openssl in a temporary directory,
 * which is removed before returning.
 * @returns the key and certificate, PEM
 */
export function createTestCertificate(): TestCertificate {
  const dir = mkdtempSync(join(tmpdir(), 'techmail-pop3-cert-'));
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=localhost',
        '-addext',
        'subjectAltName=DNS:localhost,IP:127.0.0.1',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );

    return {
      key: readFileSync(join(dir, 'key.pem'), 'utf8'),
      cert: readFileSync(join(dir, 'cert.pem'), 'utf8'),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Makes the bytes a server holds for a message: CRLF line ends, ending in
 * CRLF. This is exactly what RETR must give back.
 * @param body the message as written in a test
 * @returns the stored form
 */
export function normalizeMessage(body: string | Buffer): Buffer {
  const text = Buffer.isBuffer(body) ? body.toString('latin1') : body;
  const crlf = text.replace(/\r?\n/g, '\r\n');

  return Buffer.from(crlf.endsWith('\r\n') ? crlf : `${crlf}\r\n`, 'latin1');
}

/**
 * Dot-stuffs a stored message and appends the terminating line.
 * @param message bytes from {@link normalizeMessage}
 * @returns the multi-line body as it goes on the wire
 */
export function encodeMultiline(message: Buffer): Buffer {
  const stuffed = message.toString('latin1').replace(/(^|\n)\./g, '$1..');

  return Buffer.from(`${stuffed}.\r\n`, 'latin1');
}

/**
 * A scriptable POP3 server on 127.0.0.1 for tests: plain, TLS or STLS,
 * with faults (splits, stalls, cuts, -ERR) chosen per test.
 */
export class FakePop3Server {
  /** Replies and receptions, across connections, in order. */
  readonly events: ServerEvent[] = [];
  /** One record per accepted connection. */
  readonly connections: ConnectionRecord[] = [];
  /** How many QUITs in TRANSACTION state committed their deletions. */
  quitCommits = 0;
  /** Most commands received but not yet answered, at any moment. */
  maxOutstanding = 0;
  private mailbox: StoredMessage[];
  private readonly sockets = new Set<Socket>();
  private readonly context: SecureContext | undefined;
  private outstanding = 0;

  private constructor(
    private readonly server: Server,
    private readonly options: FakePop3ServerOptions,
  ) {
    this.mailbox = (options.messages ?? []).map((body, index) => ({
      bytes: normalizeMessage(body),
      uid: `uid-${index + 1}`,
    }));
    this.context =
      options.certificate === undefined
        ? undefined
        : createSecureContext(options.certificate);
    server.on('connection', (socket) => this.accept(socket));
  }

  /**
   * Starts a server on an ephemeral port of 127.0.0.1.
   * @param options behaviour and faults
   * @returns the listening server
   */
  static async start(
    options: FakePop3ServerOptions = {},
  ): Promise<FakePop3Server> {
    const server = createServer();
    const fake = new FakePop3Server(server, options);
    await new Promise<void>((resolve) =>
      server.listen(0, '127.0.0.1', resolve),
    );

    return fake;
  }

  /** The port the server listens on. */
  get port(): number {
    const address = this.server.address();

    return typeof address === 'object' && address !== null ? address.port : 0;
  }

  /** Messages still on the server (deletions committed by QUIT are gone). */
  get storedMessages(): Buffer[] {
    return this.mailbox.map((message) => message.bytes);
  }

  /** Command lines received, in order. */
  get received(): string[] {
    return this.events.filter((e) => e.type === 'received').map((e) => e.line);
  }

  /** Resolves once every connection so far has closed. */
  async waitForDisconnect(): Promise<void> {
    while (this.connections.some((record) => !record.closed)) {
      await delay(5);
    }
  }

  /** Drops every connection and stops listening. */
  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private accept(raw: Socket): void {
    raw.setNoDelay(true);
    const record = { outputBytes: 0, closed: false };
    this.connections.push(record);
    const connection: Connection = {
      socket: raw,
      record,
      queue: [],
      input: '',
      busy: false,
      stopped: false,
      secure: false,
      replies: 0,
      user: undefined,
      mailbox: undefined,
      deleted: new Set(),
    };
    this.track(raw, connection);
    if (this.options.implicitTls) this.startTls(connection);
    this.listen(connection);
    void this.reply(connection, 'GREETING', '+OK fake POP3 server ready\r\n');
  }

  private track(socket: Socket, connection: Connection): void {
    this.sockets.add(socket);
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      this.sockets.delete(socket);
      connection.record.closed = true;
      connection.stopped = true;
    });
  }

  private startTls(connection: Connection): void {
    const raw = connection.socket;
    raw.removeAllListeners('data');
    const secure = new TLSSocket(raw, {
      isServer: true,
      secureContext: this.context,
    });
    this.track(secure, connection);
    connection.socket = secure;
    connection.secure = true;
  }

  private listen(connection: Connection): void {
    connection.socket.on('data', (chunk: Buffer) => {
      connection.input += chunk.toString('latin1');
      const lines = connection.input.split('\r\n');
      connection.input = lines.pop() ?? '';
      for (const line of lines) {
        this.events.push({ type: 'received', line });
        this.outstanding += 1;
        this.maxOutstanding = Math.max(this.maxOutstanding, this.outstanding);
        connection.queue.push(line);
      }
      void this.drain(connection);
    });
  }

  private async drain(connection: Connection): Promise<void> {
    if (connection.busy) return;
    connection.busy = true;
    while (connection.queue.length > 0 && !connection.stopped) {
      await this.handle(connection, connection.queue.shift() as string);
    }
    connection.busy = false;
  }

  private async handle(connection: Connection, line: string): Promise<void> {
    const [word = '', ...args] = line.split(' ');
    const command = word.toUpperCase();
    const { options } = this;
    if (command === options.stallOn) {
      connection.stopped = true;
      return;
    }
    if (command === options.cutOn) {
      await this.cut(connection, command, args);
      return;
    }
    if (options.replyDelayMs) await delay(options.replyDelayMs);
    const error =
      options.errorOn?.[[command, ...args].join(' ')] ??
      options.errorOn?.[command];
    if (error !== undefined) {
      await this.reply(connection, command, `-ERR ${error}\r\n`);
      return;
    }
    await this.reply(
      connection,
      command,
      this.answer(connection, command, args),
    );
    if (command === 'STLS' && !connection.secure) {
      connection.queue.length = 0;
      this.startTls(connection);
      this.listen(connection);
    }
    if (command === 'QUIT') connection.socket.end();
  }

  private async cut(
    connection: Connection,
    command: string,
    args: string[],
  ): Promise<void> {
    const bytes = this.answer(connection, command, args);
    const partial = bytes.subarray(0, this.options.cutAfterBytes ?? 0);
    if (partial.length > 0) connection.socket.write(partial);
    await delay(5);
    connection.stopped = true;
    connection.socket.destroy();
  }

  private answer(
    connection: Connection,
    command: string,
    args: string[],
  ): Buffer {
    if (connection.mailbox === undefined) {
      return Buffer.from(
        this.answerUnauthenticated(connection, command, args),
        'latin1',
      );
    }

    return this.answerTransaction(connection, command, args);
  }

  private answerUnauthenticated(
    connection: Connection,
    command: string,
    args: string[],
  ): string {
    const { options } = this;
    switch (command) {
      case 'CAPA':
        return options.noCapa
          ? '-ERR unknown command\r\n'
          : this.capa(connection);
      case 'STLS':
        return this.context && !connection.secure
          ? `+OK begin TLS\r\n${options.injectAfterStls ?? ''}`
          : '-ERR STLS not available\r\n';
      case 'USER':
        connection.user = args[0];
        return '+OK\r\n';
      case 'PASS':
        return this.logIn(connection, connection.user, args.join(' '));
      case 'AUTH': {
        if (args[0]?.toUpperCase() !== 'PLAIN' || args[1] === undefined) {
          return '-ERR only AUTH PLAIN with initial response\r\n';
        }
        const [, user, pass] = Buffer.from(args[1], 'base64')
          .toString('utf8')
          .split('\0');
        return this.logIn(connection, user, pass ?? '');
      }
      case 'QUIT':
        return '+OK bye\r\n';
      default:
        return '-ERR not allowed before login\r\n';
    }
  }

  private logIn(
    connection: Connection,
    user: string | undefined,
    pass: string,
  ): string {
    if (this.options.rejectLogin !== undefined) {
      return `-ERR ${this.options.rejectLogin}\r\n`;
    }
    if (
      user !== (this.options.username ?? 'alice') ||
      pass !== (this.options.password ?? 's3cret')
    ) {
      return '-ERR [AUTH] invalid user name or password\r\n';
    }
    connection.mailbox = [...this.mailbox];

    return '+OK logged in\r\n';
  }

  private capa(connection: Connection): string {
    const names = (this.options.capabilities ?? ['USER', 'UIDL', 'TOP']).filter(
      (name) => !(connection.secure && name === 'STLS'),
    );

    return `+OK capabilities follow\r\n${names.map((n) => `${n}\r\n`).join('')}.\r\n`;
  }

  private answerTransaction(
    connection: Connection,
    command: string,
    args: string[],
  ): Buffer {
    const mailbox = connection.mailbox as StoredMessage[];
    const live = mailbox
      .map((message, index) => ({ message, msgNo: index + 1 }))
      .filter(({ msgNo }) => !connection.deleted.has(msgNo));
    const msgNo = Number(args[0]);
    const message = connection.deleted.has(msgNo)
      ? undefined
      : mailbox[msgNo - 1];
    const text = (value: string) => Buffer.from(value, 'latin1');
    switch (command) {
      case 'CAPA':
        return text(
          this.options.noCapa
            ? '-ERR unknown command\r\n'
            : this.capa(connection),
        );
      case 'STAT': {
        const size = live.reduce(
          (sum, { message: m }) => sum + m.bytes.length,
          0,
        );
        return text(`+OK ${live.length} ${size}\r\n`);
      }
      case 'LIST':
        return text(
          `+OK\r\n${live.map((l) => `${l.msgNo} ${l.message.bytes.length}\r\n`).join('')}.\r\n`,
        );
      case 'UIDL':
        return text(
          `+OK\r\n${live.map((l) => `${l.msgNo} ${l.message.uid}\r\n`).join('')}.\r\n`,
        );
      case 'RETR':
      case 'TOP':
        if (message === undefined) return text('-ERR no such message\r\n');
        return Buffer.concat([
          text(`+OK ${message.bytes.length} octets\r\n`),
          encodeMultiline(
            command === 'TOP'
              ? top(message.bytes, Number(args[1]))
              : message.bytes,
          ),
        ]);
      case 'DELE':
        if (message === undefined) return text('-ERR no such message\r\n');
        connection.deleted.add(msgNo);
        return text('+OK deleted\r\n');
      case 'RSET':
        connection.deleted.clear();
        return text('+OK\r\n');
      case 'NOOP':
        return text('+OK\r\n');
      case 'QUIT':
        this.mailbox = this.mailbox.filter(
          (stored) => !connection.deleted.has(mailbox.indexOf(stored) + 1),
        );
        this.quitCommits += 1;
        return text('+OK bye\r\n');
      default:
        return text('-ERR unknown command\r\n');
    }
  }

  private async reply(
    connection: Connection,
    command: string,
    reply: string | Buffer,
  ): Promise<void> {
    const bytes = Buffer.isBuffer(reply) ? reply : Buffer.from(reply, 'latin1');
    const info = { command, index: connection.replies, bytes };
    connection.replies += 1;
    if (command !== 'GREETING') {
      this.outstanding -= 1;
      this.events.push({ type: 'replied', line: command });
    }
    const cuts = this.splitOffsets(info, connection.record.outputBytes);
    let from = 0;
    for (const cut of [...cuts, bytes.length]) {
      if (connection.socket.destroyed) return;
      if (from > 0) await delay(1);
      connection.socket.write(bytes.subarray(from, cut));
      from = cut;
    }
    connection.record.outputBytes += bytes.length;
  }

  private splitOffsets(info: ReplyInfo, written: number): number[] {
    const { chunkSize, splitOutputAt, splitReply } = this.options;
    const offsets = new Set<number>(splitReply?.(info) ?? []);
    if (chunkSize !== undefined) {
      for (let at = chunkSize; at < info.bytes.length; at += chunkSize) {
        offsets.add(at);
      }
    }
    if (splitOutputAt !== undefined) offsets.add(splitOutputAt - written);

    return [...offsets]
      .filter((at) => at > 0 && at < info.bytes.length)
      .sort((a, b) => a - b);
  }
}

function top(message: Buffer, lines: number): Buffer {
  const text = message.toString('latin1');
  const headerEnd = text.indexOf('\r\n\r\n');
  if (headerEnd < 0) return message;
  const body = text
    .slice(headerEnd + 4, -2)
    .split('\r\n')
    .slice(0, lines);

  return Buffer.from(
    text.slice(0, headerEnd + 4) + body.map((l) => `${l}\r\n`).join(''),
    'latin1',
  );
}
