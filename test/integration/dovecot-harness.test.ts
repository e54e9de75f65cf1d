import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DovecotServer, startDovecot } from '../support/dovecot.js';

const CRLF = Buffer.from('\r\n');

/** A deliberately dumb POP3 peer: raw bytes in, raw bytes out, nothing hidden. */
class RawPop3 {
  private buffer = Buffer.alloc(0);
  private closed = false;
  private wake: () => void = () => {};

  private constructor(private socket: net.Socket) {
    this.listen();
  }

  static async connectTls(server: DovecotServer): Promise<RawPop3> {
    const socket = tls.connect({
      host: server.host,
      port: server.pop3sPort,
      ca: server.caPem,
    });
    await new Promise((resolve) => socket.once('secureConnect', resolve));
    return RawPop3.greeted(socket);
  }

  static async connectPlain(server: DovecotServer): Promise<RawPop3> {
    return RawPop3.greeted(net.connect(server.pop3Port, server.host));
  }

  private static async greeted(socket: net.Socket): Promise<RawPop3> {
    const peer = new RawPop3(socket);
    expect(await peer.line()).toMatch(/^\+OK/);

    return peer;
  }

  async startTls(server: DovecotServer): Promise<void> {
    expect(await this.command('STLS')).toMatch(/^\+OK/);
    this.socket.removeAllListeners();
    this.socket = tls.connect({
      socket: this.socket,
      host: server.host,
      ca: server.caPem,
    });
    await new Promise((resolve) => this.socket.once('secureConnect', resolve));
    this.listen();
  }

  async login(user: string, password: string): Promise<string> {
    expect(await this.command(`USER ${user}`)).toMatch(/^\+OK/);

    return this.command(`PASS ${password}`);
  }

  send(...commands: string[]): void {
    this.socket.write(commands.map((command) => `${command}\r\n`).join(''));
  }

  async command(command: string): Promise<string> {
    this.send(command);

    return this.line();
  }

  async line(): Promise<string> {
    return (await this.take(CRLF)).toString('latin1');
  }

  /** Reads a multi-line body after its status line, undoing dot-stuffing. */
  async body(): Promise<Buffer> {
    const lines: Buffer[] = [];
    for (;;) {
      const line = await this.take(CRLF);
      if (line.equals(Buffer.from('.'))) break;
      lines.push(line[0] === 0x2e ? line.subarray(1) : line);
    }

    return Buffer.concat(lines.flatMap((line) => [line, CRLF]));
  }

  drop(): void {
    this.socket.destroy();
  }

  private listen(): void {
    this.socket.on('data', (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      this.wake();
    });
    for (const event of ['error', 'close']) {
      this.socket.on(event, () => {
        this.closed = true;
        this.wake();
      });
    }
  }

  private async take(terminator: Buffer): Promise<Buffer> {
    for (;;) {
      const at = this.buffer.indexOf(terminator);
      if (at >= 0) {
        const taken = this.buffer.subarray(0, at);
        this.buffer = this.buffer.subarray(at + terminator.length);
        return taken;
      }
      if (this.closed) throw new Error('POP3 server closed the connection');
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
    }
  }
}

function toCrlf(message: Buffer): Buffer {
  return Buffer.from(
    message.toString('latin1').replace(/\r?\n/g, '\r\n'),
    'latin1',
  );
}

async function listing(peer: RawPop3, command: string): Promise<string[]> {
  expect(await peer.command(command)).toMatch(/^\+OK/);

  return (await peer.body()).toString('latin1').trimEnd().split('\r\n');
}

const MESSAGES = [
  Buffer.from(
    'From: Ada <ada@example.com>\nTo: support@example.com\nSubject: Printer on fire\nMessage-ID: <1@example.com>\n\nPlease help.\n',
  ),
  Buffer.from(
    'From: b@example.com\nSubject: caf\xe9\nContent-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: 8bit\n\n.leading dot\n..two dots\n.\nna\xefve \xff\x80 bytes\n',
    'latin1',
  ),
  Buffer.from('From: c@example.com\r\nSubject: already CRLF\r\n\r\nBody\r\n'),
];
const USERS = ['reader', 'deleter', 'dropper', 'upgrader', 'rotator'];
const PASSWORD = 'correct horse';

describe('startDovecot', () => {
  let server: DovecotServer;

  beforeAll(async () => {
    server = await startDovecot({
      users: USERS.map((user) => ({ user, password: PASSWORD })),
    });
    for (const user of USERS) await server.deliver(user, MESSAGES);
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('serves delivered messages over TLS byte for byte, in delivery order', async () => {
    const peer = await RawPop3.connectTls(server);
    expect(await peer.login('reader', PASSWORD)).toMatch(/^\+OK/);

    const sizes = MESSAGES.map((message) => toCrlf(message).length);
    const total = sizes.reduce((sum, size) => sum + size, 0);
    expect(await peer.command('STAT')).toBe(`+OK 3 ${total}`);
    expect(await listing(peer, 'LIST')).toEqual(
      sizes.map((size, index) => `${index + 1} ${size}`),
    );
    for (const [index, message] of MESSAGES.entries()) {
      expect(await peer.command(`RETR ${index + 1}`)).toMatch(/^\+OK/);
      expect(await peer.body()).toEqual(toCrlf(message));
    }
    expect(await peer.command('QUIT')).toMatch(/^\+OK/);
  });

  it('gives each message a UIDL that stays the same across sessions', async () => {
    const first = await RawPop3.connectTls(server);
    await first.login('reader', PASSWORD);
    const uidls = await listing(first, 'UIDL');
    await first.command('QUIT');

    const second = await RawPop3.connectTls(server);
    await second.login('reader', PASSWORD);

    expect(uidls).toHaveLength(3);
    expect(new Set(uidls.map((line) => line.split(' ')[1])).size).toBe(3);
    expect(uidls[0]).toMatch(/^1 [0-9a-f]{16}$/);
    expect(await listing(second, 'UIDL')).toEqual(uidls);
    await second.command('QUIT');
  });

  it('removes messages marked with DELE when the session ends with QUIT', async () => {
    const peer = await RawPop3.connectTls(server);
    await peer.login('deleter', PASSWORD);
    const uidls = await listing(peer, 'UIDL');

    expect(await peer.command('DELE 2')).toMatch(/^\+OK/);
    expect(await peer.command('QUIT')).toMatch(/^\+OK/);

    expect(await server.countMessages('deleter')).toBe(2);
    const again = await RawPop3.connectTls(server);
    await again.login('deleter', PASSWORD);
    expect(await listing(again, 'UIDL')).toEqual([
      uidls[0],
      uidls[2]?.replace(/^3 /, '2 '),
    ]);
    await again.command('QUIT');
  });

  it('keeps messages marked with DELE when the connection drops before QUIT', async () => {
    const peer = await RawPop3.connectTls(server);
    await peer.login('dropper', PASSWORD);

    expect(await peer.command('DELE 1')).toMatch(/^\+OK/);
    peer.drop();

    const again = await RawPop3.connectTls(server);
    await again.login('dropper', PASSWORD);
    expect(await again.command('STAT')).toMatch(/^\+OK 3 /);
    await again.command('QUIT');
    expect(await server.countMessages('dropper')).toBe(3);
  });

  it('offers STLS and PIPELINING on the plain port and answers pipelined commands in order', async () => {
    const peer = await RawPop3.connectPlain(server);
    const capabilities = await listing(peer, 'CAPA');

    expect(capabilities).toEqual(
      expect.arrayContaining(['STLS', 'PIPELINING']),
    );
    await peer.startTls(server);
    await peer.login('upgrader', PASSWORD);
    peer.send('STAT', 'NOOP', 'RETR 3', 'QUIT');
    expect(await peer.line()).toMatch(/^\+OK 3 /);
    expect(await peer.line()).toMatch(/^\+OK/);
    expect(await peer.line()).toMatch(/^\+OK/);
    expect(await peer.body()).toEqual(toCrlf(MESSAGES[2] as Buffer));
    expect(await peer.line()).toMatch(/^\+OK/);
  });

  it('rejects a wrong password', async () => {
    const peer = await RawPop3.connectTls(server);

    expect(await peer.login('reader', 'wrong horse')).toMatch(/^-ERR/);
    peer.drop();
  });

  it('accepts only the new password after setPassword', async () => {
    await server.setPassword('rotator', 'battery staple');

    const old = await RawPop3.connectTls(server);
    expect(await old.login('rotator', PASSWORD)).toMatch(/^-ERR/);
    old.drop();
    const rotated = await RawPop3.connectTls(server);
    expect(await rotated.login('rotator', 'battery staple')).toMatch(/^\+OK/);
    await rotated.command('QUIT');
  });

  it('stores mail with its original bytes, owned by the mail user when run as root', async () => {
    const stored = await server.listMessages('reader');
    const maildir = path.join(path.dirname(server.logPath), 'home', 'reader');
    const owner = (await stat(path.join(maildir, 'Maildir'))).uid;
    const expectedOwner =
      process.getuid?.() === 0
        ? Number(execFileSync('id', ['-u', 'mail'], { encoding: 'utf8' }))
        : process.getuid?.();

    expect(stored.map((message) => message.bytes)).toEqual(MESSAGES);
    expect(owner).toBe(expectedOwner);
    for (const folder of ['new', 'cur']) {
      for (const name of await readdir(path.join(maildir, 'Maildir', folder))) {
        const file = path.join(maildir, 'Maildir', folder, name);
        expect((await stat(file)).uid).toBe(expectedOwner);
      }
    }
  });
});

describe('DovecotServer.stop', () => {
  it('ends the server and removes its directory', async () => {
    const server = await startDovecot({ users: [] });
    const dir = path.dirname(server.logPath);

    await server.stop();

    expect(existsSync(dir)).toBe(false);
    const refused = await new Promise<boolean>((resolve) => {
      const socket = net.connect(server.pop3sPort, server.host);
      socket.once('connect', () => {
        socket.destroy();
        resolve(false);
      });
      socket.once('error', () => resolve(true));
    });
    expect(refused).toBe(true);
  });
});
