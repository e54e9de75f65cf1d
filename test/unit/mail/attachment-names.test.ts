import { describe, expect, it } from 'vitest';
import {
  cleanFilename,
  fallbackFilename,
  MAX_FILENAME_CHARS,
} from '../../../functions/mail/attachment-names.js';

describe('cleanFilename', () => {
  it('keeps an ordinary name as it is', () => {
    expect(cleanFilename('Rechnung M\u00e4rz.pdf')).toBe(
      'Rechnung M\u00e4rz.pdf',
    );
  });

  it('keeps only the last segment of Unix and Windows paths', () => {
    expect(cleanFilename('../../etc/passwd')).toBe('passwd');
    expect(cleanFilename('C:\\Users\\x\\report.doc')).toBe('report.doc');
  });

  it('drops control characters such as terminal escapes', () => {
    expect(cleanFilename('evil\u001b[31m.txt\u0000')).toBe('evil[31m.txt');
  });

  it.each([undefined, '', '   ', '.', '..', 'dir/'])(
    'gives up on %j',
    (name) => {
      expect(cleanFilename(name)).toBeUndefined();
    },
  );

  it('shortens a long name and keeps its extension', () => {
    const cleaned = cleanFilename(`${'a'.repeat(400)}.pdf`);

    expect(cleaned).toHaveLength(MAX_FILENAME_CHARS);
    expect(cleaned?.endsWith('a.pdf')).toBe(true);
  });
});

describe('fallbackFilename', () => {
  it.each([
    ['message/rfc822', 'attachment-1.eml'],
    ['image/jpeg', 'attachment-1.jpg'],
    ['text/x-unknown', 'attachment-1.txt'],
    ['application/x-unknown', 'attachment-1.bin'],
  ])('names a %s part %s', (contentType, expected) => {
    expect(fallbackFilename(contentType, 1)).toBe(expected);
  });
});
