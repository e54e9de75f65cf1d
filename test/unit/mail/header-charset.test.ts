import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { repairHeaderCharset } from '../../../functions/mail/header-charset.js';

describe('repairHeaderCharset', () => {
  it('returns the same buffer when the header is ASCII or UTF-8', () => {
    const ascii = Buffer.from('Subject: hi\r\n\r\nbody\r\n');
    const utf8 = Buffer.from('Subject: caf\u00e9\r\n\r\nbody\r\n');

    expect(repairHeaderCharset(ascii)).toBe(ascii);
    expect(repairHeaderCharset(utf8)).toBe(utf8);
  });

  it('transcodes only the lines that are not UTF-8', () => {
    const raw = Buffer.concat([
      Buffer.from('X-A: \u00e9\r\nX-B: '),
      Buffer.from([0xe9]),
      Buffer.from('\r\n\r\n'),
    ]);

    expect(repairHeaderCharset(raw).toString()).toBe(
      'X-A: \u00e9\r\nX-B: \u00e9\r\n\r\n',
    );
  });

  it('leaves the body bytes untouched', () => {
    const body = Buffer.from([0xff, 0xfe, 0x00, 0xe9, 0x0d, 0x0a]);
    const raw = Buffer.concat([Buffer.from('X-B: \xe9\n\n', 'latin1'), body]);

    const repaired = repairHeaderCharset(raw);

    expect(repaired.subarray(repaired.length - body.length)).toEqual(body);
  });

  it('reads 8-bit headers of a message labelled ISO-2022-JP as Shift_JIS', () => {
    const shiftJis = Buffer.from([0x83, 0x63, 0x81, 0x5b, 0x83, 0x8b]);
    const raw = Buffer.concat([
      Buffer.from('Subject: '),
      shiftJis,
      Buffer.from('\r\nContent-Type: text/plain; charset=iso-2022-jp\r\n\r\n'),
    ]);

    expect(repairHeaderCharset(raw).toString()).toContain(
      'Subject: \u30c4\u30fc\u30eb\r\n',
    );
  });

  it('falls back to windows-1252 when the label is unknown or UTF-8', () => {
    for (const label of ['x-unknown', 'utf-8']) {
      const raw = Buffer.concat([
        Buffer.from('Subject: caf\xe9\r\n', 'latin1'),
        Buffer.from(`Content-Type: text/plain; charset=${label}\r\n\r\n`),
      ]);

      expect(repairHeaderCharset(raw).toString()).toContain(
        'Subject: caf\u00e9\r\n',
      );
    }
  });

  it('keeps a UTF-8 line with one broken byte as UTF-8', () => {
    const raw = Buffer.concat([
      Buffer.from('From: \u042e\u043d\u0438\u043a\u043e\u0434'),
      Buffer.from([0xf1]),
      Buffer.from(' <a@example.com>\r\n\r\n'),
    ]);

    expect(repairHeaderCharset(raw).toString()).toBe(
      'From: \u042e\u043d\u0438\u043a\u043e\u0434\ufffd <a@example.com>\r\n\r\n',
    );
  });

  it('detects the charset of unlabelled lines with enough 8-bit text', () => {
    const subject =
      '\u0417\u0434\u0440\u0430\u0432\u0441\u0442\u0432\u0443\u0439\u0442\u0435, \u043f\u0440\u0438\u043d\u0442\u0435\u0440 \u043d\u0435 \u0440\u0430\u0431\u043e\u0442\u0430\u0435\u0442';
    const raw = Buffer.concat([
      Buffer.from('Subject: '),
      iconv.encode(subject, 'windows-1251'),
      Buffer.from('\r\n\r\n'),
    ]);

    expect(repairHeaderCharset(raw).toString()).toBe(
      `Subject: ${subject}\r\n\r\n`,
    );
  });
});
