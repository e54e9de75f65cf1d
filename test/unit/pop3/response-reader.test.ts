import { describe, expect, it } from 'vitest';
import { Pop3ProtocolError } from '../../../functions/pop3/errors.js';
import {
  MAX_STATUS_LINE_BYTES,
  type Pop3Reply,
  type ReplyShape,
  ResponseReader,
  removeDotStuffing,
} from '../../../functions/pop3/response-reader.js';

const bytes = (text: string) => Buffer.from(text, 'latin1');

// A message with dot-stuffed lines, lines that are only ".", invalid UTF-8
// and 8-bit bytes, whose last line ends right before the terminator.
const MESSAGE = Buffer.concat([
  bytes('Subject: dots\r\n\r\n'),
  bytes('.\r\n..leading dots\r\nmiddle . dot\r\n'),
  Buffer.from([0x80, 0xc3, 0x28, 0xff, 0xfe, 0x0d, 0x0a]),
  bytes('.\r\n'),
]);
const MESSAGE_ON_WIRE = Buffer.concat([
  bytes('Subject: dots\r\n\r\n'),
  bytes('..\r\n...leading dots\r\nmiddle . dot\r\n'),
  Buffer.from([0x80, 0xc3, 0x28, 0xff, 0xfe, 0x0d, 0x0a]),
  bytes('..\r\n'),
  bytes('.\r\n'),
]);

const SHAPES: ReplyShape[] = ['single', 'multi', 'single', 'multi', 'multi'];
const STREAM = Buffer.concat([
  bytes('+OK ready\r\n'),
  bytes('+OK capa\r\nUSER\r\nPIPELINING\r\n.\r\n'),
  bytes('-ERR [AUTH] no\r\n'),
  bytes(`+OK ${MESSAGE.length} octets\r\n`),
  MESSAGE_ON_WIRE,
  bytes('+OK empty\r\n.\r\n'),
]);

function readAll(chunks: Buffer[], shapes = SHAPES): Pop3Reply[] {
  const reader = new ResponseReader(1024 * 1024);
  const replies: Pop3Reply[] = [];
  for (const chunk of chunks) {
    reader.push(chunk);
    for (;;) {
      const shape = shapes[replies.length];
      if (shape === undefined) break;
      const reply = reader.read(shape, 'TEST');
      if (reply === undefined) break;
      replies.push(reply);
    }
  }
  expect(reader.idle).toBe(true);

  return replies;
}

function expectStreamReplies(replies: Pop3Reply[]): void {
  expect(replies.map((reply) => reply.status)).toEqual([
    'ok',
    'ok',
    'err',
    'ok',
    'ok',
  ]);
  expect(replies[0]).toEqual({ status: 'ok', text: 'ready' });
  expect(replies[1]?.body).toEqual(bytes('USER\r\nPIPELINING\r\n'));
  expect(replies[2]).toEqual({ status: 'err', text: '[AUTH] no' });
  expect(replies[3]?.body?.equals(MESSAGE)).toBe(true);
  expect(replies[4]?.body).toEqual(Buffer.alloc(0));
}

describe('ResponseReader', () => {
  describe('read', () => {
    it('returns every reply when the stream arrives in one chunk', () => {
      const replies = readAll([STREAM]);

      expectStreamReplies(replies);
    });

    it('returns identical replies when the stream is split at every byte offset', () => {
      for (let offset = 1; offset < STREAM.length; offset += 1) {
        const replies = readAll([
          STREAM.subarray(0, offset),
          STREAM.subarray(offset),
        ]);

        expectStreamReplies(replies);
      }
    });

    it('returns identical replies when the stream arrives one byte at a time', () => {
      const chunks = [...STREAM].map((byte) => Buffer.from([byte]));

      const replies = readAll(chunks);

      expectStreamReplies(replies);
    });

    it('finds the terminator split across three chunks', () => {
      const wire = bytes('+OK\r\nline\r\n.\r\n');

      const replies = readAll(
        [wire.subarray(0, 10), wire.subarray(10, 12), wire.subarray(12)],
        ['multi'],
      );

      expect(replies[0]?.body).toEqual(bytes('line\r\n'));
    });

    it.each([
      ['exactly', 12],
      ['too small', 4],
      ['far too large', 10_000],
    ])('reads a body whose size was announced %s', (_case, announced) => {
      const wire = bytes(`+OK ${announced} octets\r\nline\r\n..dot\r\n.\r\n`);

      const replies = readAll(
        [wire.subarray(0, 22), wire.subarray(22, 27), wire.subarray(27)],
        ['multi'],
      );

      expect(replies[0]?.body).toEqual(bytes('line\r\n.dot\r\n'));
    });

    it('does not keep a large buffer for a body announced far too large', () => {
      const reader = new ResponseReader(1024 * 1024);
      reader.push(bytes('+OK 500000 octets\r\nline\r\n.\r\n'));

      const reply = reader.read('multi', 'RETR');

      expect(reply?.body?.buffer.byteLength).toBeLessThan(500_000);
    });

    it('reads a -ERR to a multi-line command as a single line', () => {
      const replies = readAll(
        [bytes('-ERR no such message\r\n+OK\r\n')],
        ['multi', 'single'],
      );

      expect(replies).toEqual([
        { status: 'err', text: 'no such message' },
        { status: 'ok', text: '' },
      ]);
    });

    it('reads a SASL continuation', () => {
      const replies = readAll([bytes('+ \r\n')], ['single']);

      expect(replies).toEqual([{ status: 'continue', text: '' }]);
    });

    it('leaves the bytes of the next reply unread', () => {
      const reader = new ResponseReader(1024);
      reader.push(bytes('+OK\r\n.\r\n+OK next\r\n'));

      reader.read('multi', 'LIST');

      expect(reader.idle).toBe(false);
      expect(reader.read('single', 'NOOP')).toEqual({
        status: 'ok',
        text: 'next',
      });
    });

    it('throws Pop3ProtocolError when the status line exceeds the limit', () => {
      const reader = new ResponseReader(1024);
      reader.push(Buffer.alloc(MAX_STATUS_LINE_BYTES + 1, 0x41));

      expect(() => reader.read('single', 'NOOP')).toThrow(Pop3ProtocolError);
    });

    it('throws Pop3ProtocolError when the status indicator is unknown', () => {
      const reader = new ResponseReader(1024);
      reader.push(bytes('* OK IMAP4 ready\r\n'));

      expect(() => reader.read('single', 'GREETING')).toThrow(
        /does not start with \+OK or -ERR/,
      );
    });

    it('throws Pop3ProtocolError when a body exceeds the limit', () => {
      const reader = new ResponseReader(100);
      reader.push(bytes('+OK\r\n'));
      reader.push(Buffer.alloc(101, 0x41));

      expect(() => reader.read('multi', 'RETR')).toThrow(/over 100 bytes/);
    });
  });
});

describe('removeDotStuffing', () => {
  it('removes the first dot of each line that starts with one', () => {
    const body = bytes('..a\r\n.\r\nb.c\r\n...\r\n');

    expect(removeDotStuffing(body).toString('latin1')).toBe(
      '.a\r\n\r\nb.c\r\n..\r\n',
    );
  });

  it('returns the body unchanged when no line starts with a dot', () => {
    const body = bytes('a\r\nb\r\n');

    expect(removeDotStuffing(body).toString('latin1')).toBe('a\r\nb\r\n');
  });
});
