import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { chooseCharset } from '../../../functions/mail/charset-choice.js';

const GERMAN = 'Sehr geehrte Damen und Herren, der Drucker im Büro läuft heiß.';
const JAPANESE =
  'お問い合わせありがとうございます。担当者よりご連絡いたします。';

describe('chooseCharset', () => {
  it('keeps any label on ASCII text', () => {
    expect(
      chooseCharset(Buffer.from('plain'), 'x-unknown', []),
    ).toBeUndefined();
  });

  it('keeps a missing or UTF-8 label on UTF-8, damaged or not', () => {
    const utf8 = Buffer.from(GERMAN, 'utf8');
    const damaged = Buffer.concat([utf8, Buffer.from([0xff])]);

    expect(chooseCharset(utf8, undefined, [])).toBeUndefined();
    expect(chooseCharset(damaged, 'utf-8', [])).toBeUndefined();
  });

  it('labels UTF-8 that carries an unknown label', () => {
    expect(chooseCharset(Buffer.from(GERMAN), 'x-mac-unknown', [])).toBe(
      'utf-8',
    );
  });

  it.each([undefined, 'us-ascii', 'utf-8', 'unknown-8bit'])(
    'guesses the charset of Latin-1 bytes labelled %s',
    (label) => {
      const latin1 = iconv.encode(GERMAN, 'latin1');

      expect(chooseCharset(latin1, label, [])).toMatch(
        /^(iso-8859-1|windows-1252)$/i,
      );
    },
  );

  it('uses the charset another part names for unlabelled bytes', () => {
    const cp1250 = iconv.encode('Dobrý den, tiskárna nejede.', 'cp1250');

    expect(chooseCharset(cp1250, undefined, ['windows-1250'])).toBe(
      'windows-1250',
    );
  });

  it('relabels UTF-8 bytes under an 8-bit label', () => {
    expect(chooseCharset(Buffer.from(GERMAN), 'iso-8859-1', [])).toBe('utf-8');
  });

  it('keeps an 8-bit label on bytes that are not UTF-8', () => {
    const latin1 = iconv.encode(GERMAN, 'latin1');

    expect(chooseCharset(latin1, 'iso-8859-15', [])).toBeUndefined();
  });

  it('keeps a CJK label that decodes its bytes', () => {
    const shiftJis = iconv.encode(JAPANESE, 'shift_jis');

    expect(chooseCharset(shiftJis, 'shift_jis', [])).toBeUndefined();
  });

  it('finds the 8-bit Japanese charset under an ISO-2022-JP label', () => {
    expect(
      chooseCharset(iconv.encode(JAPANESE, 'shift_jis'), 'iso-2022-jp', []),
    ).toBe('shift_jis');
    expect(
      chooseCharset(iconv.encode(JAPANESE, 'euc-jp'), 'iso-2022-jp', []),
    ).toBe('euc-jp');
  });

  it('widens GB2312 to GB18030 for characters only the wider set has', () => {
    const gb18030Only = iconv.encode('\u{20000}\u4e2d\u6587', 'gb18030');

    expect(chooseCharset(gb18030Only, 'gb2312', [])).toBe('gb18030');
  });

  it('relabels UTF-8 bytes under a CJK label', () => {
    expect(chooseCharset(Buffer.from(JAPANESE), 'shift_jis', [])).toBe('utf-8');
  });

  it('keeps a UTF-16 label', () => {
    const utf16 = Buffer.from(GERMAN, 'utf16le');

    expect(chooseCharset(utf16, 'utf-16le', [])).toBeUndefined();
  });
});
