import { describe, expect, it } from 'vitest';
import {
  cleanFilename,
  contentTypeForFilename,
  fallbackFilename,
  MAX_FILENAME_CHARS,
  messageFilename,
} from '../../../functions/mail/attachment-names.js';

describe('cleanFilename', () => {
  it('keeps an ordinary name as it is', () => {
    expect(cleanFilename('Rechnung M\u00e4rz.pdf')).toBe(
      'Rechnung M\u00e4rz.pdf',
    );
  });

  it('removes bidirectional controls that would disguise the extension', () => {
    expect(cleanFilename('invoice\u202Efdp.exe')).toBe('invoicefdp.exe');
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

describe('messageFilename', () => {
  it('names an attached message after its subject', () => {
    expect(messageFilename('Quarterly  report\tQ3')).toBe(
      'Quarterly report Q3.eml',
    );
  });

  it('replaces characters no file name should hold', () => {
    expect(messageFilename('Re: offer 4/2 <draft>?')).toBe(
      'Re_ offer 4_2 _draft__.eml',
    );
  });

  it('keeps the extension of a very long subject', () => {
    const name = messageFilename('x'.repeat(400));

    expect(name).toHaveLength(MAX_FILENAME_CHARS);
    expect(name?.endsWith('.eml')).toBe(true);
  });

  it('returns undefined for a blank subject', () => {
    expect(messageFilename(' \t ')).toBeUndefined();
  });
});

describe('contentTypeForFilename', () => {
  it.each([
    ['scan.PDF', 'application/pdf'],
    ['photo.jpg', 'image/jpeg'],
    ['notes.txt', 'text/plain'],
    ['mail.eml', 'message/rfc822'],
    ['data.dat', 'application/octet-stream'],
    ['README', 'application/octet-stream'],
  ])('types %s as %s', (filename, type) => {
    expect(contentTypeForFilename(filename)).toBe(type);
  });
});
