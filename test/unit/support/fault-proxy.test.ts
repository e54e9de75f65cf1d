import { connect, createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ConnectionFaults,
  startFaultProxy,
} from '../../support/fault-proxy.js';

/** A server on 127.0.0.1 that records what it got and answers each line. */
async function startLineServer(): Promise<{
  server: Server;
  port: number;
  received: string[];
}> {
  const received: string[] = [];
  const server = createServer((socket) => {
    socket.write('+OK ready\r\n');
    socket.on('data', (chunk: Buffer) => {
      for (const line of chunk.toString('latin1').split('\r\n')) {
        if (line === '') continue;
        received.push(line);
        socket.write(`+OK ${line}\r\n`);
      }
    });
    socket.on('error', () => socket.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();

  return {
    server,
    port: typeof address === 'object' && address ? address.port : 0,
    received,
  };
}

/** Sends lines through the proxy and collects what comes back until close. */
function exchange(port: number, lines: string[]): Promise<string> {
  return new Promise((resolve) => {
    const socket: Socket = connect(port, '127.0.0.1');
    let reply = '';
    socket.on('data', (chunk: Buffer) => {
      reply += chunk.toString('latin1');
    });
    socket.on('connect', () =>
      socket.write(lines.map((l) => `${l}\r\n`).join('')),
    );
    socket.on('error', () => undefined);
    socket.on('close', () => resolve(reply));
    setTimeout(() => socket.destroy(), 300);
  });
}

describe('the fault proxy', () => {
  let target: Awaited<ReturnType<typeof startLineServer>>;

  beforeAll(async () => {
    target = await startLineServer();
  });

  afterAll(async () => {
    await new Promise((resolve) => target.server.close(resolve));
  });

  async function through(
    faults: ConnectionFaults,
    lines: string[],
  ): Promise<string> {
    const proxy = await startFaultProxy({ targetPort: target.port });
    proxy.plan([faults]);
    try {
      return await exchange(proxy.port, lines);
    } finally {
      await proxy.close();
    }
  }

  it('passes bytes through untouched without faults', async () => {
    expect(await through({}, ['NOOP'])).toBe('+OK ready\r\n+OK NOOP\r\n');
  });

  it('cuts the connection after exactly the given number of bytes', async () => {
    const reply = await through(
      { cut: { direction: 'toClient', afterBytes: 13 } },
      ['NOOP'],
    );

    expect(reply).toBe('+OK ready\r\n+O');
  });

  it('stops forwarding but keeps the connection open on a stall', async () => {
    const reply = await through(
      { stall: { direction: 'toClient', afterBytes: 5 } },
      ['NOOP'],
    );

    expect(reply).toBe('+OK r');
  });

  it('delivers everything when it trickles', async () => {
    const reply = await through({ trickle: { chunkBytes: 3, delayMs: 1 } }, [
      'NOOP',
    ]);

    expect(reply).toBe('+OK ready\r\n+OK NOOP\r\n');
  });

  it('spoils only the chosen occurrence of a command', async () => {
    await through({ spoil: { command: 'DELE', occurrence: 2 } }, [
      'DELE 1',
      'DELE 2',
      'DELE 3',
    ]);

    expect(target.received.slice(-3)).toEqual([
      'DELE 1',
      'DELE 999999',
      'DELE 3',
    ]);
  });
});
