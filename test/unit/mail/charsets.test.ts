import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import {
  decodeCharset,
  decodesCleanly,
  isMostlyUtf8,
  isUtf8,
} from '../../../functions/mail/charsets.js';

const JAPANESE =
  'お問い合わせありがとうございます。担当者よりご連絡いたします。';

describe('charsets', () => {
  describe('isUtf8 and isMostlyUtf8', () => {
    it('tells clean UTF-8, damaged UTF-8 and Latin-1 apart', () => {
      const clean = Buffer.from('Grüße', 'utf8');
      const damaged = Buffer.concat([clean, Buffer.from([0xf1])]);
      const latin1 = Buffer.from('Grüße', 'latin1');

      expect([isUtf8(clean), isMostlyUtf8(clean)]).toEqual([true, true]);
      expect([isUtf8(damaged), isMostlyUtf8(damaged)]).toEqual([false, true]);
      expect([isUtf8(latin1), isMostlyUtf8(latin1)]).toEqual([false, false]);
    });

    it('counts an overlong or truncated sequence as stray bytes', () => {
      expect(isMostlyUtf8(Buffer.from([0xc0, 0xaf, 0xe2, 0x82]))).toBe(false);
    });
  });

  describe('decodeCharset', () => {
    it('reads Latin-1 and ASCII labels as windows-1252', () => {
      const bytes = Buffer.from([0x93, 0x80, 0x94]);

      expect(decodeCharset(bytes, 'ISO-8859-1')).toBe('\u201c\u20ac\u201d');
      expect(decodeCharset(bytes, 'us-ascii')).toBe('\u201c\u20ac\u201d');
    });

    it('reads ISO-2022-JP, which iconv-lite lacks', () => {
      const bytes = Buffer.from('\x1b$B%D!<%k\x1b(B', 'latin1');

      expect(decodeCharset(bytes, 'iso-2022-jp')).toBe('\u30c4\u30fc\u30eb');
    });

    it('returns undefined for an unknown charset', () => {
      expect(decodeCharset(Buffer.from('x'), 'x-klingon')).toBeUndefined();
    });

    it('says whether a charset maps every byte', () => {
      const shiftJis = iconv.encode(JAPANESE, 'shift_jis');

      expect(decodesCleanly(shiftJis, 'shift_jis')).toBe(true);
      expect(decodesCleanly(shiftJis, 'utf-8')).toBe(false);
    });
  });
});
