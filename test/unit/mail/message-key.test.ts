import { describe, expect, it } from 'vitest';
import {
  contentKey,
  messageKey,
  sha256Hex,
} from '../../../functions/mail/message-key.js';

const RAW = Buffer.from('From: a@example.com\r\n\r\nHello\r\n');
const KEY_SHAPE = /^(mid|sha):[0-9a-f]{64}$/;

describe('sha256Hex', () => {
  it('returns the lower-case hex SHA-256 of bytes and of strings', () => {
    const abc =
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad';

    expect(sha256Hex(Buffer.from('abc'))).toBe(abc);
    expect(sha256Hex('abc')).toBe(abc);
  });
});

describe('messageKey', () => {
  it('keys a message with a Message-ID by the hash of the lower-cased id', () => {
    expect(messageKey('Abc@Example.COM', RAW)).toBe(
      `mid:${sha256Hex('abc@example.com')}`,
    );
  });

  it('gives the same key for ids that differ only in case', () => {
    const other = Buffer.from('different bytes');

    expect(messageKey('X.1@Host', RAW)).toBe(messageKey('x.1@host', other));
  });

  it('keys a message without a Message-ID by the hash of its bytes', () => {
    expect(messageKey(undefined, RAW)).toBe(`sha:${sha256Hex(RAW)}`);
    expect(messageKey('  ', RAW)).toBe(`sha:${sha256Hex(RAW)}`);
  });

  it('makes keys of ASCII hex only, whatever the id contains', () => {
    const hostile = '../../x/\u00e9\u0000<>"\'  '.repeat(50);

    expect(messageKey(hostile, RAW)).toMatch(KEY_SHAPE);
    expect(messageKey(undefined, RAW)).toMatch(KEY_SHAPE);
  });
});

describe('contentKey', () => {
  it('keys by bytes, so the same id with other content gets another key', () => {
    const first = Buffer.from('Message-ID: <same@x>\r\n\r\none\r\n');
    const second = Buffer.from('Message-ID: <same@x>\r\n\r\ntwo\r\n');

    expect(messageKey('same@x', first)).toBe(messageKey('same@x', second));
    expect(contentKey(first)).not.toBe(contentKey(second));
    expect(contentKey(first)).toBe(`sha:${sha256Hex(first)}`);
  });
});
