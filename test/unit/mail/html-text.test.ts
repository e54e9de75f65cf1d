import { describe, expect, it } from 'vitest';
import { htmlToPlainText } from '../../../functions/mail/html-text.js';

describe('htmlToPlainText', () => {
  it('replaces tags with spaces and decodes common entities', () => {
    expect(
      htmlToPlainText('<p>Tom &amp; Jerry</p><p>1&nbsp;&lt;&nbsp;2</p>'),
    ).toBe('Tom & Jerry 1 < 2');
  });

  it('does not decode twice', () => {
    expect(htmlToPlainText('&amp;lt;')).toBe('&lt;');
  });

  it('keeps a lone bracket run as text', () => {
    const out = htmlToPlainText(`${'<'.repeat(200_000)}x`);

    expect(out).toHaveLength(200_001);
  });
});
