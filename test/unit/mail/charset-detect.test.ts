import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import {
  guessCharset,
  pickHintedCharset,
} from '../../../functions/mail/charset-detect.js';
import { FALLBACK_CHARSET } from '../../../functions/mail/charsets.js';

const RUSSIAN = 'Здравствуйте, принтер в офисе не печатает уже второй день.';
const JAPANESE =
  'お問い合わせありがとうございます。担当者よりご連絡いたします。';

describe('charset detection', () => {
  describe('pickHintedCharset', () => {
    it('takes the hint the detector ranks highest among those that decode', () => {
      const eucJp = iconv.encode(JAPANESE, 'euc-jp');

      expect(pickHintedCharset(eucJp, ['shift_jis', 'euc-jp'])).toBe('euc-jp');
    });

    it('returns undefined when no hint decodes the bytes', () => {
      const latin1 = Buffer.from('caf\u00e9', 'latin1');

      expect(pickHintedCharset(latin1, ['utf-8', 'x-unknown'])).toBeUndefined();
    });
  });

  describe('guessCharset', () => {
    it('detects Cyrillic and Japanese text of a sentence or more', () => {
      expect(guessCharset(iconv.encode(RUSSIAN, 'windows-1251'), [])).toBe(
        'windows-1251',
      );
      expect(guessCharset(iconv.encode(RUSSIAN, 'koi8-r'), [])).toBe('KOI8-R');
      expect(guessCharset(iconv.encode(JAPANESE, 'shift_jis'), [])).toBe(
        'Shift_JIS',
      );
    });

    it('prefers a charset the message names over the detector', () => {
      const shortCp1250 = iconv.encode('Dobrý den, tiskárna nejede.', 'cp1250');

      expect(guessCharset(shortCp1250, ['windows-1250'])).toBe('windows-1250');
    });

    it(`falls back to ${FALLBACK_CHARSET} with too few 8-bit bytes to go on`, () => {
      expect(guessCharset(Buffer.from('caf\u00e9', 'latin1'), [])).toBe(
        FALLBACK_CHARSET,
      );
    });
  });
});
