import { describe, expect, it } from 'vitest';
import { attachmentDisposition } from '../../../functions/incidents/download-links.js';

describe('attachmentDisposition', () => {
  it('keeps a plain ASCII name as it is in both forms', () => {
    expect(attachmentDisposition('report-2026.pdf')).toBe(
      `attachment; filename="report-2026.pdf"; filename*=UTF-8''report-2026.pdf`,
    );
  });

  it('gives non-ASCII names an underscored fallback and the UTF-8 name percent-encoded', () => {
    expect(attachmentDisposition('Résumé 東京.docx')).toBe(
      `attachment; filename="R_sum_ __.docx"; filename*=UTF-8''R%C3%A9sum%C3%A9%20%E6%9D%B1%E4%BA%AC.docx`,
    );
  });

  it('cannot be broken out of by quotes, backslashes, percent signs or line breaks', () => {
    const header = attachmentDisposition('a"b\\c%41\r\nX-Evil: 1.txt');

    expect(header).toBe(
      `attachment; filename="a_b_c_41__X-Evil: 1.txt"; filename*=UTF-8''a%22b%5Cc%2541%0D%0AX-Evil%3A%201.txt`,
    );
    expect(header).not.toMatch(/[\r\n]/);
  });

  it("encodes the characters RFC 5987 leaves out of attr-char: ' ( ) *", () => {
    expect(attachmentDisposition("it's (final)*.txt")).toContain(
      `filename*=UTF-8''it%27s%20%28final%29%2A.txt`,
    );
  });

  it('survives a lone surrogate instead of throwing', () => {
    expect(attachmentDisposition('bad\ud800.txt')).toContain(
      `filename*=UTF-8''bad%EF%BF%BD.txt`,
    );
  });

  it('names a file without a name "attachment"', () => {
    expect(attachmentDisposition('')).toBe(
      `attachment; filename="attachment"; filename*=UTF-8''attachment`,
    );
  });
});
