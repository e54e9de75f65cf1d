import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  Pop3NetworkError,
  Pop3ProtocolError,
  Pop3TimeoutError,
} from '../../../functions/pop3/errors.js';
import {
  createTestCertificate,
  normalizeMessage,
  type ReplyInfo,
  type TestCertificate,
} from '../../support/fake-pop3-server.js';
import { Harness, rejectionOf } from './session-helpers.js';

// Dot-stuffed lines, lines that are only ".", 8-bit bytes and invalid
// UTF-8, and a last line that is "." so the body ends right before the
// terminator with "..\r\n.\r\n" on the wire.
const TRICKY_MESSAGE = Buffer.concat([
  Buffer.from('Subject: =?utf-8?q?caf=C3=A9?=\n\n.\n..two dots\n', 'latin1'),
  Buffer.from('ends with dot.\n.x\n', 'latin1'),
  Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x0a, 0xc3, 0x28, 0x80, 0xff, 0x0a]),
  Buffer.from('.\n', 'latin1'),
]);
const EXPECTED = normalizeMessage(TRICKY_MESSAGE);

const manyMessages = (count: number) =>
  Array.from(
    { length: count },
    (_, i) => `Subject: ${i + 1}\n\nbody ${i + 1}\n`,
  );

describe('Pop3Session byte stream', () => {
  const harness = new Harness();
  let certificate: TestCertificate;

  beforeAll(() => {
    certificate = createTestCertificate();
  });

  afterEach(async () => {
    await harness.cleanUp();
  });

  describe('retr', () => {
    it('returns the exact bytes when the whole response stream is split at every byte offset', async () => {
      const probe = await harness.server({ messages: [TRICKY_MESSAGE] });
      const first = await harness.connect(probe);
      await first.retr(1);
      await first.quit();
      const streamBytes = probe.connections[0]?.outputBytes ?? 0;

      for (let offset = 1; offset < streamBytes; offset += 1) {
        const server = await harness.server({
          messages: [TRICKY_MESSAGE],
          splitOutputAt: offset,
        });
        const session = await harness.connect(server);

        const message = await session.retr(1);
        await session.quit();

        expect(message.equals(EXPECTED), `split at ${offset}`).toBe(true);
        await harness.cleanUp();
      }
      expect(streamBytes).toBeGreaterThan(EXPECTED.length);
    });

    it.each([
      ['inside the status line', (_: ReplyInfo) => [2]],
      [
        'after the status line CR',
        (reply: ReplyInfo) => [reply.bytes.indexOf('\n')],
      ],
      [
        'inside CRLF "." CRLF after CR',
        (reply: ReplyInfo) => [reply.bytes.length - 4],
      ],
      [
        'inside CRLF "." CRLF after LF',
        (reply: ReplyInfo) => [reply.bytes.length - 3],
      ],
      [
        'inside CRLF "." CRLF after the dot',
        (reply: ReplyInfo) => [reply.bytes.length - 2],
      ],
      [
        'inside CRLF "." CRLF before the last LF',
        (reply: ReplyInfo) => [reply.bytes.length - 1],
      ],
      [
        'at every terminator byte at once',
        (reply: ReplyInfo) =>
          [1, 2, 3, 4, 5].map((n) => reply.bytes.length - n),
      ],
    ])(
      'returns the exact bytes when the RETR reply is split %s',
      async (_, split) => {
        const server = await harness.server({
          messages: [TRICKY_MESSAGE],
          splitReply: (reply) => (reply.command === 'RETR' ? split(reply) : []),
        });
        const session = await harness.connect(server);

        const message = await session.retr(1);

        expect(message.equals(EXPECTED)).toBe(true);
      },
    );

    it('returns the exact bytes when every reply arrives in 3-byte pieces', async () => {
      const server = await harness.server({
        messages: [TRICKY_MESSAGE],
        chunkSize: 3,
      });
      const session = await harness.connect(server);

      const message = await session.retr(1);

      expect(message.equals(EXPECTED)).toBe(true);
    });

    it('returns the exact bytes over TLS when the terminator is split across records', async () => {
      const server = await harness.server({
        messages: [TRICKY_MESSAGE],
        certificate,
        implicitTls: true,
        splitReply: (reply) =>
          reply.command === 'RETR' ? [reply.bytes.length - 2] : [],
      });
      const session = await harness.connect(server, {
        security: 'tls',
        tls: { ca: certificate.cert },
      });

      const message = await session.retr(1);

      expect(message.equals(EXPECTED)).toBe(true);
    });

    it('returns a 4 MiB message intact', async () => {
      const line = `${'x'.repeat(70)}\n.${'y'.repeat(9)}\n`;
      const big = line.repeat(Math.ceil((4 * 1024 * 1024) / line.length));
      const server = await harness.server({ messages: [big] });
      const session = await harness.connect(server);

      const message = await session.retr(1);

      expect(message.equals(normalizeMessage(big))).toBe(true);
    });

    it('rejects with Pop3ProtocolError when a reply exceeds maxResponseBytes', async () => {
      const server = await harness.server({ messages: ['x'.repeat(5000)] });
      const session = await harness.connect(server, {
        maxResponseBytes: 1000,
      });

      const error = await rejectionOf(session.retr(1));

      expect(error).toBeInstanceOf(Pop3ProtocolError);
      expect(session.closed).toBe(true);
    });
  });

  describe('deadlines and failures', () => {
    it('rejects with Pop3TimeoutError when the server stalls after RETR', async () => {
      const server = await harness.server({
        messages: manyMessages(1),
        stallOn: 'RETR',
      });
      const session = await harness.connect(server, { commandTimeoutMs: 300 });

      const error = await rejectionOf(session.retr(1));

      expect(error).toBeInstanceOf(Pop3TimeoutError);
      expect(error).toMatchObject({ command: 'RETR', retryable: true });
      expect(session.closed).toBe(true);
      await server.waitForDisconnect();
    });

    it('rejects every pending command when one times out', async () => {
      const server = await harness.server({
        messages: manyMessages(3),
        capabilities: ['PIPELINING'],
        stallOn: 'RETR',
      });
      const session = await harness.connect(server, { commandTimeoutMs: 300 });

      const results = await Promise.allSettled([
        session.retr(1),
        session.retr(2),
        session.noop(),
      ]);

      for (const result of results) {
        expect(result).toMatchObject({ status: 'rejected' });
        expect((result as PromiseRejectedResult).reason).toBeInstanceOf(
          Pop3TimeoutError,
        );
      }
    });

    it('rejects with Pop3NetworkError when the server cuts the connection mid-message', async () => {
      const server = await harness.server({
        messages: manyMessages(1),
        cutOn: 'RETR',
        cutAfterBytes: 20,
      });
      const session = await harness.connect(server);

      const error = await rejectionOf(session.retr(1));

      expect(error).toBeInstanceOf(Pop3NetworkError);
      expect(error).toMatchObject({ retryable: true });
    });

    it('rejects pending commands when the client closes the session', async () => {
      const server = await harness.server({
        messages: manyMessages(1),
        stallOn: 'RETR',
      });
      const session = await harness.connect(server);
      const pending = session.retr(1);

      session.close();

      await expect(pending).rejects.toMatchObject({ code: 'SESSION_CLOSED' });
    });

    it('rejects QUIT when the server closes before answering it', async () => {
      const server = await harness.server({ cutOn: 'QUIT' });
      const session = await harness.connect(server);

      const error = await rejectionOf(session.quit());

      expect(error).toBeInstanceOf(Pop3NetworkError);
    });
  });

  describe('pipelining', () => {
    it('keeps several commands in flight when the server advertises PIPELINING', async () => {
      const server = await harness.server({
        messages: manyMessages(10),
        capabilities: ['PIPELINING'],
        replyDelayMs: 5,
      });
      const session = await harness.connect(server, { pipelineWindow: 4 });

      await session.retrMany([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], () => {});

      const events = server.events.map((e) => `${e.type} ${e.line}`);
      expect(events.indexOf('received RETR 4')).toBeLessThan(
        events.indexOf('replied RETR'),
      );
      expect(server.maxOutstanding).toBe(4);
    });

    it('sends one command at a time when PIPELINING is not advertised', async () => {
      const server = await harness.server({
        messages: manyMessages(5),
        replyDelayMs: 2,
      });
      const session = await harness.connect(server, { pipelineWindow: 4 });

      await Promise.all([
        session.retrMany([1, 2, 3], () => {}),
        session.noop(),
        session.deleMany([4, 5]),
      ]);

      expect(session.pipelineWindow).toBe(1);
      expect(server.maxOutstanding).toBe(1);
    });

    it('retrieves 2000 small messages in order with pipelining', async () => {
      const bodies = manyMessages(2000);
      const server = await harness.server({
        messages: bodies,
        capabilities: ['PIPELINING', 'UIDL'],
      });
      const session = await harness.connect(server);
      const numbers = (await session.list()).map((entry) => entry.msgNo);
      const received: string[] = [];

      await session.retrMany(numbers, (message, msgNo) => {
        received.push(`${msgNo}:${message.toString('latin1')}`);
      });

      expect(received).toEqual(
        bodies.map(
          (body, i) => `${i + 1}:${normalizeMessage(body).toString('latin1')}`,
        ),
      );
      expect(server.maxOutstanding).toBeGreaterThan(1);
    });

    it('deletes many messages with pipelining and commits them with QUIT', async () => {
      const server = await harness.server({
        messages: manyMessages(50),
        capabilities: ['PIPELINING'],
      });
      const session = await harness.connect(server);

      await session.deleMany(Array.from({ length: 49 }, (_, i) => i + 1));
      await session.quit();

      expect(server.storedMessages.map((m) => m.toString('latin1'))).toEqual([
        'Subject: 50\r\n\r\nbody 50\r\n',
      ]);
    });

    it('waits for a slow handler before delivering the next message', async () => {
      const server = await harness.server({
        messages: manyMessages(5),
        capabilities: ['PIPELINING'],
      });
      const session = await harness.connect(server, { pipelineWindow: 2 });
      const order: string[] = [];

      await session.retrMany([1, 2, 3], async (_, msgNo) => {
        order.push(`start ${msgNo}`);
        await new Promise((resolve) => setTimeout(resolve, 5));
        order.push(`end ${msgNo}`);
      });

      expect(order).toEqual([
        'start 1',
        'end 1',
        'start 2',
        'end 2',
        'start 3',
        'end 3',
      ]);
    });

    it('stops retrMany at the first -ERR and keeps the session usable', async () => {
      const server = await harness.server({
        messages: manyMessages(3),
        capabilities: ['PIPELINING'],
      });
      const session = await harness.connect(server);
      const delivered: number[] = [];

      const error = await rejectionOf(
        session.retrMany([1, 99, 2], (_, msgNo) => {
          delivered.push(msgNo);
        }),
      );

      expect(error).toBeInstanceOf(Pop3ProtocolError);
      expect(error).toMatchObject({ command: 'RETR' });
      expect(delivered).toEqual([1]);
      await expect(session.noop()).resolves.toBeUndefined();
    });
  });
});
