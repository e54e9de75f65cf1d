import net from 'node:net';

/** The only address the proxy listens on and connects to. */
const LOOPBACK = '127.0.0.1';

/**
 * Bytes queued in one direction before the sender is paused; a 50 MB
 * message must not pile up in memory behind a slow reader.
 */
const MAX_QUEUED_BYTES = 8 * 1024 * 1024;

/** A running latency proxy. */
export interface LatencyProxy {
  /** Port on 127.0.0.1 that forwards to the target. */
  readonly port: number;
  /** Connections accepted so far. */
  readonly connections: number;
  /** Closes the listener and every open connection. */
  stop(): Promise<void>;
}

/** Options of {@link startLatencyProxy}. */
export interface LatencyProxyOptions {
  /** Port on 127.0.0.1 to forward to. */
  readonly targetPort: number;
  /** Delay added to every chunk, in each direction (RTT grows by twice it). */
  readonly delayMs: number;
}

/**
 * Starts a TCP proxy on 127.0.0.1 that holds every chunk for `delayMs`
 * before passing it on, in order, in both directions: a loopback link with
 * the round-trip time of a distant server. TLS passes through untouched.
 *
 * @param options target port and one-way delay
 * @returns the proxy's port and `stop()`
 * @example
 * const proxy = await startLatencyProxy({ targetPort: 995, delayMs: 5 });
 */
export async function startLatencyProxy(
  options: LatencyProxyOptions,
): Promise<LatencyProxy> {
  const sockets = new Set<net.Socket>();
  let connections = 0;
  const server = net.createServer((client) => {
    connections += 1;
    const upstream = net.connect(options.targetPort, LOOPBACK);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.setNoDelay(true);
      socket.once('close', () => sockets.delete(socket));
      // Either side failing ends the pair; the peer sees the connection drop.
      socket.once('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    delayLine(client, upstream, options.delayMs);
    delayLine(upstream, client, options.delayMs);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, LOOPBACK, () => resolve());
  });

  return {
    port: (server.address() as net.AddressInfo).port,
    get connections() {
      return connections;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/**
 * Forwards `from` to `to`, each chunk once its delay has passed. One timer
 * drains a FIFO, so order is kept however the event loop schedules timers;
 * the end of the stream is delayed like data.
 */
function delayLine(from: net.Socket, to: net.Socket, delayMs: number): void {
  const queue: { dueAt: number; chunk: Buffer | null }[] = [];
  let queuedBytes = 0;
  let timer: NodeJS.Timeout | undefined;
  const drain = (): void => {
    timer = undefined;
    const now = performance.now();
    while (queue.length > 0 && (queue[0]?.dueAt ?? 0) <= now) {
      const { chunk } = queue.shift() as (typeof queue)[number];
      if (chunk === null) {
        to.end();
        return;
      }
      queuedBytes -= chunk.length;
      if (!to.destroyed) to.write(chunk);
    }
    if (queuedBytes < MAX_QUEUED_BYTES && from.isPaused()) from.resume();
    schedule();
  };
  const schedule = (): void => {
    const head = queue[0];
    if (timer || !head) return;
    timer = setTimeout(drain, Math.max(0, head.dueAt - performance.now()));
  };
  const push = (chunk: Buffer | null): void => {
    queue.push({ dueAt: performance.now() + delayMs, chunk });
    queuedBytes += chunk?.length ?? 0;
    if (queuedBytes >= MAX_QUEUED_BYTES) from.pause();
    schedule();
  };
  from.on('data', (chunk: Buffer) => push(chunk));
  from.once('end', () => push(null));
  to.once('close', () => clearTimeout(timer));
}

/**
 * Measures the round trip the proxy really adds: a one-byte ping-pong
 * through a fresh proxy to an echo server, both on 127.0.0.1.
 *
 * @param delayMs the one-way delay to test
 * @param pings round trips to time
 * @returns the median round trip in milliseconds
 */
export async function probeRoundTripMs(
  delayMs: number,
  pings: number,
): Promise<number> {
  const echo = net.createServer((socket) => socket.pipe(socket));
  await new Promise<void>((resolve) => echo.listen(0, LOOPBACK, resolve));
  const targetPort = (echo.address() as net.AddressInfo).port;
  const proxy = await startLatencyProxy({ targetPort, delayMs });
  const socket = net.connect(proxy.port, LOOPBACK);
  socket.setNoDelay(true);
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve).once('error', reject);
    });
    const times: number[] = [];
    for (let ping = 0; ping < pings; ping += 1) {
      const sent = performance.now();
      const answered = new Promise((resolve) => socket.once('data', resolve));
      socket.write('.');
      await answered;
      times.push(performance.now() - sent);
    }
    times.sort((a, b) => a - b);

    return times[Math.floor(times.length / 2)] ?? Number.NaN;
  } finally {
    socket.destroy();
    await proxy.stop();
    await new Promise<void>((resolve) => echo.close(() => resolve()));
  }
}
