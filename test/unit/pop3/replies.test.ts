import { describe, expect, it } from 'vitest';
import { Pop3ProtocolError } from '../../../functions/pop3/errors.js';
import {
  assertOk,
  parseCapabilities,
  parseList,
  parseStat,
  parseUidl,
  readResponseCode,
} from '../../../functions/pop3/replies.js';

const body = (text: string) => Buffer.from(text, 'latin1');

describe('parseCapabilities', () => {
  it('returns upper-cased names and SASL mechanisms', () => {
    const capabilities = parseCapabilities(
      body('top\r\nSASL plain LOGIN\r\nPIPELINING\r\nIMPLEMENTATION x y\r\n'),
    );

    expect([...capabilities.names]).toEqual([
      'TOP',
      'SASL',
      'PIPELINING',
      'IMPLEMENTATION',
    ]);
    expect([...capabilities.saslMechanisms]).toEqual(['PLAIN', 'LOGIN']);
  });
});

describe('parseList', () => {
  it('returns message numbers and sizes, ignoring extra fields', () => {
    const entries = parseList(body('1 120\r\n3 4000 extra\r\n'));

    expect(entries).toEqual([
      { msgNo: 1, size: 120 },
      { msgNo: 3, size: 4000 },
    ]);
  });

  it('throws Pop3ProtocolError when a size is not a number', () => {
    expect(() => parseList(body('1 big\r\n'))).toThrow(Pop3ProtocolError);
  });
});

describe('parseUidl', () => {
  it('returns message numbers and unique ids', () => {
    const entries = parseUidl(
      body('1 whqtswO00WBw418f9t5JxYwZ\r\n2 QhdPYR:00WBw1Ph7x7\r\n'),
    );

    expect(entries).toEqual([
      { msgNo: 1, uid: 'whqtswO00WBw418f9t5JxYwZ' },
      { msgNo: 2, uid: 'QhdPYR:00WBw1Ph7x7' },
    ]);
  });

  it('throws Pop3ProtocolError when a unique id is missing or too long', () => {
    expect(() => parseUidl(body('1\r\n'))).toThrow(Pop3ProtocolError);
    expect(() => parseUidl(body(`1 ${'a'.repeat(71)}\r\n`))).toThrow(
      Pop3ProtocolError,
    );
  });
});

describe('parseStat', () => {
  it('returns count and size', () => {
    expect(parseStat('2 320')).toEqual({ count: 2, size: 320 });
  });

  it('throws Pop3ProtocolError when the text is not two numbers', () => {
    expect(() => parseStat('mailbox ready')).toThrow(Pop3ProtocolError);
  });
});

describe('readResponseCode', () => {
  it('returns the bracketed code at the start of the text', () => {
    expect(readResponseCode('[sys/temp] try later')).toBe('SYS/TEMP');
  });

  it('returns undefined when the text has no code', () => {
    expect(readResponseCode('no such message [AUTH]')).toBeUndefined();
  });
});

describe('assertOk', () => {
  it('throws Pop3ProtocolError with the command name and server text on -ERR', () => {
    const call = () =>
      assertOk({ status: 'err', text: '[IN-USE] locked' }, 'DELE 4');

    expect(call).toThrow(
      expect.objectContaining({
        command: 'DELE',
        responseCode: 'IN-USE',
        retryable: true,
        message: 'POP3 server refused DELE 4: [IN-USE] locked',
      }),
    );
  });
});
