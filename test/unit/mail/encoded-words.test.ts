import { describe, expect, it } from 'vitest';
import {
  decodeEncodedWords,
  repairEncodedWords,
} from '../../../functions/mail/encoded-words.js';

describe('encoded words', () => {
  describe('repairEncodedWords', () => {
    it('leaves words that decode well exactly as they are', () => {
      const header =
        'Subject: =?utf-8?Q?Gr=C3=BC=C3=9Fe?= and =?iso-8859-1?Q?caf=E9?=\r\n';

      expect(repairEncodedWords(header, [])).toBe(header);
    });

    it('relabels Latin-1 bytes in a word labelled us-ascii', () => {
      const repaired = repairEncodedWords('Subject: =?us-ascii?Q?caf=E9?=', []);

      expect(decodeEncodedWords(repaired.slice(9))).toBe('caf\u00e9');
    });

    it('relabels Shift_JIS bytes in a word labelled ISO-2022-JP', () => {
      const repaired = repairEncodedWords(
        'From: =?ISO-2022-JP?B?g2OBW4OLIEVYQU1QTEU=?= <bar@example.org>',
        [],
      );

      expect(repaired).toBe(
        'From: =?shift_jis?B?g2OBW4OLIEVYQU1QTEU=?= <bar@example.org>',
      );
    });

    it('judges a character split across adjacent words as one run', () => {
      const header =
        'Subject: =?utf-8?B?w6Q=?= =?utf-8?B?w7Y=?=\r\n =?utf-8?Q?=C3?= =?utf-8?Q?=BC?=';

      expect(repairEncodedWords(header, [])).toBe(header);
    });

    it('leaves a word in an unknown charset with ASCII bytes alone', () => {
      const header = 'Subject: =?x-klingon?Q?Qapla?=';

      expect(repairEncodedWords(header, [])).toBe(header);
    });
  });

  describe('decodeEncodedWords', () => {
    it('decodes B and Q words and drops the blanks between adjacent ones', () => {
      expect(
        decodeEncodedWords(
          '=?utf-8?B?R3LDvA==?=  =?utf-8?Q?=C3=9Fe_aus?= K\u00f6ln',
        ),
      ).toBe('Gr\u00fc\u00dfe aus K\u00f6ln');
    });

    it('accepts an RFC 2231 language after the charset', () => {
      expect(decodeEncodedWords('=?utf-8*de?Q?Stra=C3=9Fe?=')).toBe(
        'Stra\u00dfe',
      );
    });

    it('keeps a word in an unknown charset encoded', () => {
      expect(decodeEncodedWords('=?x-klingon?Q?Qapla?=')).toBe(
        '=?x-klingon?Q?Qapla?=',
      );
    });
  });
});
