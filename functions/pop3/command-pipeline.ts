import type { Socket } from 'node:net';
import {
  type Pop3Error,
  Pop3NetworkError,
  Pop3ProtocolError,
  Pop3TimeoutError,
  toPop3NetworkError,
} from './errors.js';
import {
  type Pop3Reply,
  type ReplyShape,
  ResponseReader,
} from './response-reader.js';

/** Settings of a {@link CommandPipeline}. */
export interface CommandPipelineOptions {
  /** Deadline for each reply, from when it is the next one due. */
  readonly commandTimeoutMs: number;
  /** Largest multi-line reply body accepted. */
  readonly maxResponseBytes: number;
  /** `host:port`, named in error messages. */
  readonly endpoint: string;
}

interface PendingCommand {
  readonly name: string;
  readonly line: string | undefined;
  readonly shape: ReplyShape;
  readonly resolve: (reply: Pop3Reply) => void;
  readonly reject: (error: Pop3Error) => void;
  timer?: NodeJS.Timeout;
}

/**
 * Sends commands over one socket and matches replies to them in order.
 * Commands wait in a backlog until fewer than `window` are in flight; with
 * a window of 1 each command waits for the previous reply (plain RFC 1939).
 * Any timeout, socket error or close ends the pipeline and rejects every
 * pending command, so no promise is left unsettled.
 */
export class CommandPipeline {
  private socket: Socket | undefined;
  private readonly reader: ResponseReader;
  private readonly inFlight: PendingCommand[] = [];
  private readonly backlog: PendingCommand[] = [];
  private window = 1;
  private lastReplied = 'GREETING';
  private endedBy: Pop3Error | undefined;

  /**
   * @param socket a connected socket; the server's greeting is still due
   * @param options deadlines and limits
   */
  constructor(
    socket: Socket,
    private readonly options: CommandPipelineOptions,
  ) {
    this.reader = new ResponseReader(options.maxResponseBytes);
    this.attachSocket(socket);
  }

  /** Whether the connection is gone (QUIT, close, or failure). */
  get closed(): boolean {
    return this.endedBy !== undefined;
  }

  /**
   * Sets how many commands may be in flight at once.
   * @param window 1 without RFC 2449 PIPELINING
   */
  setWindow(window: number): void {
    this.window = window;
    this.pump();
  }

  /**
   * Waits for the greeting the server sends unasked.
   * @returns the greeting reply
   */
  readGreeting(): Promise<Pop3Reply> {
    return new Promise((resolve, reject) => {
      this.inFlight.push({
        name: 'GREETING',
        line: undefined,
        shape: 'single',
        resolve,
        reject,
      });
      this.armHeadTimer();
    });
  }

  /**
   * Queues a command and resolves with its reply, `-ERR` included.
   * @param name the command name, the only part used in errors
   * @param line the full command line without CRLF
   * @param shape the reply's shape when it is `+OK`
   * @returns the reply
   */
  send(name: string, line: string, shape: ReplyShape): Promise<Pop3Reply> {
    if (this.endedBy !== undefined) {
      return Promise.reject(
        new Pop3NetworkError(
          'SESSION_CLOSED',
          `POP3 session with ${this.options.endpoint} is closed; connect again before ${name}`,
          undefined,
          { cause: this.endedBy },
        ),
      );
    }

    return new Promise((resolve, reject) => {
      this.backlog.push({ name, line, shape, resolve, reject });
      this.pump();
    });
  }

  /**
   * Hands the socket over for a TLS upgrade; commands wait until
   * {@link attachSocket} is called with the secure socket.
   * @returns the plain socket with our listeners removed
   * @throws {Pop3Error} what ended the pipeline, when it already ended (for
   *   example bytes injected after the STLS reply)
   */
  detachSocket(): Socket {
    if (this.endedBy !== undefined) throw this.endedBy;
    const socket = this.socket as Socket;
    socket.off('data', this.onData);
    socket.off('close', this.onClose);
    this.socket = undefined;

    return socket;
  }

  /**
   * Continues on a new socket (after STLS) or the first one.
   * @param socket the connected socket to read from and write to
   */
  attachSocket(socket: Socket): void {
    this.socket = socket;
    socket.on('data', this.onData);
    socket.on('error', this.onError);
    socket.once('close', this.onClose);
    this.pump();
  }

  /**
   * Marks the session finished after QUIT was answered and lets the socket
   * close cleanly.
   */
  finish(): void {
    if (this.endedBy !== undefined) return;
    this.end(
      new Pop3NetworkError(
        'SESSION_CLOSED',
        `POP3 session with ${this.options.endpoint} ended with QUIT`,
      ),
    );
    const socket = this.socket;
    socket?.end(() => socket.destroy());
  }

  /**
   * Drops the connection at once; pending commands reject with `reason`.
   * @param reason the error every pending command rejects with
   */
  abort(reason: Pop3Error): void {
    if (this.endedBy !== undefined) return;
    this.end(reason);
    this.socket?.destroy();
  }

  private readonly onData = (chunk: Buffer): void => {
    this.reader.push(chunk);
    try {
      this.deliverReplies();
    } catch (error) {
      this.abort(error as Pop3Error);

      return;
    }
    this.pump();
  };

  private readonly onError = (error: Error): void => {
    this.abort(toPop3NetworkError(error, this.options.endpoint));
  };

  private readonly onClose = (): void => {
    this.abort(
      new Pop3NetworkError(
        'CONNECTION_CLOSED',
        `POP3 server ${this.options.endpoint} closed the connection after ${this.lastReplied}; try again later`,
      ),
    );
  };

  private deliverReplies(): void {
    for (let head = this.inFlight[0]; head; head = this.inFlight[0]) {
      const reply = this.reader.read(head.shape, head.name);
      if (reply === undefined) return;

      this.inFlight.shift();
      clearTimeout(head.timer);
      this.lastReplied = head.name;
      head.resolve(reply);
      this.armHeadTimer();
    }
    if (!this.reader.idle) {
      // Bytes nobody asked for; after STLS this is the plaintext injection
      // attack of CVE-2011-0411, so never carry them into the TLS session.
      throw new Pop3ProtocolError(
        this.lastReplied,
        `POP3 server ${this.options.endpoint} sent data after the reply to ${this.lastReplied} that no command asked for; the connection was dropped`,
      );
    }
  }

  private pump(): void {
    const socket = this.socket;
    if (socket === undefined || this.endedBy !== undefined) return;
    if (this.backlog.length === 0 || this.inFlight.length >= this.window) {
      return;
    }

    // Cork so a window's worth of pipelined commands leaves in one segment.
    socket.cork();
    while (this.backlog.length > 0 && this.inFlight.length < this.window) {
      const command = this.backlog.shift() as PendingCommand;
      this.inFlight.push(command);
      socket.write(`${command.line}\r\n`, 'utf8');
    }
    socket.uncork();
    this.armHeadTimer();
  }

  /**
   * Starts the deadline of the reply that is due next. Later commands start
   * theirs only when they reach the head, so a long pipelined RETR does not
   * eat into the time of the commands queued behind it.
   */
  private armHeadTimer(): void {
    const head = this.inFlight[0];
    if (head === undefined || head.timer !== undefined) return;

    const { commandTimeoutMs } = this.options;
    head.timer = setTimeout(() => {
      this.abort(new Pop3TimeoutError(head.name, commandTimeoutMs));
    }, commandTimeoutMs);
  }

  private end(reason: Pop3Error): void {
    this.endedBy = reason;
    const pending = [...this.inFlight, ...this.backlog];
    this.inFlight.length = 0;
    this.backlog.length = 0;
    for (const command of pending) {
      clearTimeout(command.timer);
      command.reject(reason);
    }
  }
}
