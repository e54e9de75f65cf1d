import { describe, expect, it } from 'vitest';
import { htmlToPlainText } from '../../../functions/mail/html-text.js';

describe('htmlToPlainText', () => {
  it('replaces tags with spaces and decodes common entities', () => {
    expect(
      htmlToPlainText('<b>Tom</b>&amp;<i>Jerry</i> 1&nbsp;&lt;&nbsp;2'),
    ).toBe('Tom & Jerry 1 < 2');
  });

  it('breaks lines at block tags and keeps one blank line between paragraphs', () => {
    expect(htmlToPlainText('<p>one</p><p>two<br>three</p>')).toBe(
      'one\n\ntwo\nthree',
    );
  });

  it('leaves out scripts, styles and the head', () => {
    const html =
      '<html><head><title>t</title><style>p{}</style></head>' +
      '<body>shown<script>hidden()</script><styles>kept</styles></body>';

    expect(htmlToPlainText(html)).toBe('shown kept');
  });

  it('decodes numeric entities and leaves unknown ones', () => {
    expect(htmlToPlainText('&#233;&#x263A; &bogus; &#xD800;')).toBe(
      '\u00e9\u263a &bogus; &#xD800;',
    );
  });

  it('drops an unclosed script to the end', () => {
    expect(htmlToPlainText('a<script>b')).toBe('a');
  });

  it('stays linear with many hidden elements', () => {
    const out = htmlToPlainText('<script></script><p>x'.repeat(100_000));

    expect(out.length).toBeGreaterThan(100_000);
  });

  it('does not decode twice', () => {
    expect(htmlToPlainText('&amp;lt;')).toBe('&lt;');
  });

  it('keeps a lone bracket run as text', () => {
    const out = htmlToPlainText(`${'<'.repeat(200_000)}x`);

    expect(out).toHaveLength(200_001);
  });
});
