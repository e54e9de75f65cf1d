import { connect, createServer, type Server, type Socket } from 'node:net';

/** The only address the proxy listens on and connects to. */
const PROXY_HOST = '127.0.0.1';

/** `toServer`: what the client sends; `toClient`: what the server sends. */
export type FaultDirection = 'toServer' | 'toClient';

/** Commands whose n-th occurrence the POP3 fault mode can spoil. */
export type SpoiledCommand = 'AUTH' | 'PASS' | 'RETR' | 'DELE';

/** What goes wrong on one proxied connection; every field is optional. */
export interface ConnectionFaults {
  /**
   * Drops both sides once this many bytes went this way; the bytes before
   * the offset are delivered. `reset` sends a TCP RST instead of a FIN.
   */
  readonly cut?: {
    readonly direction: FaultDirection;
    readonly afterBytes: number;
    readonly reset?: boolean;
  };
  /**
   * Stops forwarding this way after this many bytes and keeps both sockets
   * open, as a hung server or a black-holed route does.
   */
  readonly stall?: {
    readonly direction: FaultDirection;
    readonly afterBytes: number;
  };
  /** Forwards what the server sends in small pieces, slowly. */
  readonly trickle?: {
    readonly chunkBytes: number;
    readonly delayMs: number;
  };
  /**
   * Plain-text POP3 only (TLS hides the commands): rewrites the n-th
   * (1-based) occurrence of the command so that the real server answers
   * `-ERR` itself: a wrong password for AUTH/PASS, a message number that
   * does not exist for RETR/DELE. Replies keep their order, and pipelined
   * commands around it are untouched.
   */
  readonly spoil?: {
    readonly command: SpoiledCommand;
    readonly occurrence: number;
  };
}

/** What happened on one proxied connection. */
export interface ProxiedConnection {
  readonly faults: ConnectionFaults;
  /** Bytes forwarded each way. */
  readonly forwarded: Record<FaultDirection, number>;
  /** Set once a cut, stall or spoil took effect, or bytes were trickled. */
  triggered?: 'cut' | 'stall' | 'spoil' | 'trickle';
  closed: boolean;
}

/** A running fault proxy. */
export interface FaultProxy {
  /** Always `127.0.0.1`. */
  readonly host: string;
  readonly port: number;
  /** Every connection accepted so far, in order. */
  readonly connections: readonly ProxiedConnection[];
  /**
   * Faults for the next connections, one entry each, in order; later
   * connections pass through untouched. Replaces any earlier plan.
   */
  plan(faults: readonly ConnectionFaults[]): void;
  /** Drops every connection and stops listening. */
  close(): Promise<void>;
}

/** Options of {@link startFaultProxy}. */
export interface FaultProxyOptions {
  /** Port of the real server on 127.0.0.1. */
  readonly targetPort: number;
}

/** A message number no test mailbox reaches, so the server says `-ERR`. */
const MISSING_MESSAGE = 999_999;

/** `\0user\0password` that no test account has, for a refused AUTH PLAIN. */
const WRONG_PLAIN_TOKEN = Buffer.from(
  '\0nobody\0not-the-password',
  'utf8',
).toString('base64');

/**
 * Starts a TCP proxy on 127.0.0.1 in front of a server on 127.0.0.1. It
 * works on bytes, so TLS passes through it end to end and a cut can land
 * inside a TLS record; the POP3 `spoil` fault needs a plain-text session.
 *
 * @param options the server to forward to
 * @returns the listening proxy
 * @example
 * const proxy = await startFaultProxy({ targetPort: dovecot.pop3sPort });
 * proxy.plan([{ cut: { direction: 'toClient', afterBytes: 5000 } }]);
 */
export async function startFaultProxy(
  options: FaultProxyOptions,
): Promise<FaultProxy> {
  const connections: ProxiedConnection[] = [];
  const sockets = new Set<Socket>();
  let pending: ConnectionFaults[] = [];
  const server: Server = createServer((client) => {
    const faults = pending.shift() ?? {};
    const record: ProxiedConnection = {
      faults,
      forwarded: { toServer: 0, toClient: 0 },
      closed: false,
    };
    connections.push(record);
    const upstream = connect(options.targetPort, PROXY_HOST);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.setNoDelay(true);
      socket.once('close', () => sockets.delete(socket));
    }
    new ProxiedPair(client, upstream, record).start();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, PROXY_HOST, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;

  return {
    host: PROXY_HOST,
    port,
    connections,
    plan(faults) {
      pending = [...faults];
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** The two sockets of one proxied connection and the faults between them. */
class ProxiedPair {
  private stalled: Record<FaultDirection, boolean> = {
    toServer: false,
    toClient: false,
  };
  private commandBuffer = '';
  private commandCount = 0;
  private trickleQueue: Buffer[] = [];
  private trickleTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly client: Socket,
    private readonly upstream: Socket,
    private readonly record: ProxiedConnection,
  ) {}

  start(): void {
    this.client.on('data', (chunk: Buffer) => this.fromClient(chunk));
    this.upstream.on('data', (chunk: Buffer) =>
      this.forward('toClient', chunk),
    );
    const end = () => this.closeBoth(false);
    this.client.on('error', end);
    this.client.on('close', end);
    this.upstream.on('error', end);
    // A server that closes after its last reply (QUIT) must not lose that
    // reply in the trickle queue.
    this.upstream.on('close', () => this.whenFlushed('toClient', end));
  }

  private fromClient(chunk: Buffer): void {
    if (this.record.faults.spoil === undefined) {
      this.forward('toServer', chunk);
      return;
    }
    // Whole lines only, so a command split across reads is still seen.
    this.commandBuffer += chunk.toString('latin1');
    const lines = this.commandBuffer.split('\r\n');
    this.commandBuffer = lines.pop() ?? '';
    for (const line of lines) {
      this.forward(
        'toServer',
        Buffer.from(`${this.spoil(line)}\r\n`, 'latin1'),
      );
    }
  }

  private spoil(line: string): string {
    const spoil = this.record.faults.spoil;
    const [word = '', ...args] = line.split(' ');
    if (!spoil || word.toUpperCase() !== spoil.command) return line;
    this.commandCount += 1;
    if (this.commandCount !== spoil.occurrence) return line;
    this.record.triggered = 'spoil';
    switch (spoil.command) {
      case 'AUTH':
        return `${word} ${args[0] ?? 'PLAIN'} ${WRONG_PLAIN_TOKEN}`;
      case 'PASS':
        return `${word} not-the-password`;
      default:
        return `${word} ${MISSING_MESSAGE}`;
    }
  }

  private forward(direction: FaultDirection, chunk: Buffer): void {
    if (this.record.closed || this.stalled[direction]) return;
    const { cut, stall } = this.record.faults;
    let bytes = chunk;
    let after: 'cut' | 'stall' | undefined;
    const sent = this.record.forwarded[direction];
    if (cut?.direction === direction && sent + bytes.length >= cut.afterBytes) {
      bytes = bytes.subarray(0, Math.max(0, cut.afterBytes - sent));
      after = 'cut';
    } else if (
      stall?.direction === direction &&
      sent + bytes.length >= stall.afterBytes
    ) {
      bytes = bytes.subarray(0, Math.max(0, stall.afterBytes - sent));
      after = 'stall';
    }
    this.record.forwarded[direction] += bytes.length;
    this.write(direction, bytes);
    if (after === 'stall') {
      this.stalled[direction] = true;
      this.record.triggered = 'stall';
    } else if (after === 'cut') {
      this.record.triggered = 'cut';
      // After the bytes already queued, so the cut lands exactly there.
      this.whenFlushed(direction, () => this.closeBoth(cut?.reset ?? false));
    }
  }

  private write(direction: FaultDirection, bytes: Buffer): void {
    if (bytes.length === 0) return;
    const trickle = this.record.faults.trickle;
    if (direction === 'toServer' || trickle === undefined) {
      this.target(direction).write(bytes);
      return;
    }
    this.record.triggered ??= 'trickle';
    for (let at = 0; at < bytes.length; at += trickle.chunkBytes) {
      this.trickleQueue.push(bytes.subarray(at, at + trickle.chunkBytes));
    }
    this.trickleTimer ??= setInterval(() => {
      const next = this.trickleQueue.shift();
      if (next) this.client.write(next);
      if (this.trickleQueue.length === 0) this.stopTrickle();
    }, trickle.delayMs);
  }

  private whenFlushed(direction: FaultDirection, action: () => void): void {
    if (direction === 'toClient' && this.trickleTimer !== undefined) {
      const check = setInterval(() => {
        if (this.trickleTimer !== undefined) return;
        clearInterval(check);
        action();
      }, 1);
      return;
    }
    this.target(direction).write(Buffer.alloc(0), () => action());
  }

  private stopTrickle(): void {
    if (this.trickleTimer !== undefined) clearInterval(this.trickleTimer);
    this.trickleTimer = undefined;
  }

  private target(direction: FaultDirection): Socket {
    return direction === 'toServer' ? this.upstream : this.client;
  }

  private closeBoth(reset: boolean): void {
    if (this.record.closed) return;
    this.record.closed = true;
    this.stopTrickle();
    this.trickleQueue = [];
    for (const socket of [this.client, this.upstream]) {
      if (reset && !socket.destroyed) socket.resetAndDestroy();
      else socket.destroy();
    }
  }
}
