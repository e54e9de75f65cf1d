import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../functions/commons/errors.js';
import {
  MAX_NESTING_DEPTH,
  MAX_PARSE_DEPTH,
  MAX_SANITIZE_INPUT_CHARS,
  sanitizeHtml,
} from '../../../functions/mail/html-sanitizer.js';

const NO_CIDS = { cidMap: new Map<string, string>() };

describe('sanitizeHtml', () => {
  describe('allowed markup', () => {
    it('keeps formatting, lists and tables', () => {
      const html =
        '<p><b>bold</b> <i>it</i></p><ul><li>one</li></ul>' +
        '<table><tr><td colspan="2">cell</td></tr></table>';

      expect(sanitizeHtml(html, NO_CIDS)).toBe(html);
    });

    it('keeps a few harmless styles and drops the rest', () => {
      const html =
        '<p style="color: red; position: fixed; background: url(x); ' +
        'font-weight: bold">s</p>';

      expect(sanitizeHtml(html, NO_CIDS)).toBe(
        '<p style="color:red;font-weight:bold">s</p>',
      );
    });
  });

  describe('links', () => {
    it('keeps http, https and mailto links and adds rel="noopener noreferrer"', () => {
      const out = sanitizeHtml(
        '<a href="https://x.example/a" rel="opener">h</a>' +
          '<a href="mailto:a@example.com">m</a><a href="http://x.example">p</a>',
        NO_CIDS,
      );

      expect(out).toBe(
        '<a href="https://x.example/a" rel="noopener noreferrer">h</a>' +
          '<a href="mailto:a@example.com" rel="noopener noreferrer">m</a>' +
          '<a href="http://x.example" rel="noopener noreferrer">p</a>',
      );
    });

    it.each([
      'javascript:alert(1)',
      ' JaVaScRiPt:alert(1)',
      'data:text/html,<script>x</script>',
      'vbscript:x',
      '//evil.example/',
      '/relative',
      'file:///etc/passwd',
    ])('drops the href %s', (href) => {
      expect(sanitizeHtml(`<a href="${href}">x</a>`, NO_CIDS)).toBe(
        '<a rel="noopener noreferrer">x</a>',
      );
    });
  });

  describe('images', () => {
    const cidMap = new Map([['Logo.1@Example.com', '/attachments/abc']]);

    it('rewrites cid images through the map, whatever the case', () => {
      expect(
        sanitizeHtml('<img src="cid:logo.1@example.com" alt="Logo">', {
          cidMap,
        }),
      ).toBe('<img alt="Logo" src="/attachments/abc" />');
    });

    it('rewrites percent-encoded and bracketed cid URLs', () => {
      expect(
        sanitizeHtml('<img src="cid:%3CLogo.1%40Example.com%3E">', { cidMap }),
      ).toBe('<img src="/attachments/abc" />');
    });

    it.each([
      'cid:unknown@x',
      'https://tracker.example/pixel.gif',
      'http://x.example/a.png',
      'data:image/png;base64,AAAA',
      '//x.example/a.png',
    ])('drops the image %s', (src) => {
      expect(sanitizeHtml(`<p>a<img src="${src}">b</p>`, { cidMap })).toBe(
        '<p>ab</p>',
      );
    });
  });

  describe('dangerous markup', () => {
    it('removes scripts, styles and their content', () => {
      expect(
        sanitizeHtml(
          '<script>alert(1)</script><style>p{}</style><noscript>n</noscript>ok',
          NO_CIDS,
        ),
      ).toBe('ok');
    });

    it('removes event handlers', () => {
      expect(
        sanitizeHtml('<p onclick="x()" onmouseover="y()">t</p>', NO_CIDS),
      ).toBe('<p>t</p>');
    });

    it('removes forms and their controls', () => {
      const out = sanitizeHtml(
        '<form action="https://x.example"><input name="pw">' +
          '<textarea>t</textarea><select><option>o</option></select>' +
          '<button>Send</button></form>',
        NO_CIDS,
      );

      expect(out).toBe('Send');
    });

    it('removes iframes, objects, embeds and svg', () => {
      const out = sanitizeHtml(
        '<iframe src="https://x.example"></iframe><object data="x"></object>' +
          '<embed src="x"><svg onload="x()"><circle/></svg>done',
        NO_CIDS,
      );

      expect(out).toBe('done');
    });

    it('keeps the body of a whole document and drops its head', () => {
      expect(
        sanitizeHtml(
          '<html><head><title>T</title><meta http-equiv="refresh" content="0;url=x">' +
            '</head><body><p>hi</p></body></html>',
          NO_CIDS,
        ),
      ).toBe('<p>hi</p>');
    });
  });

  describe('work bounds', () => {
    it('sanitises 20,000 links in full', () => {
      const html = '<a href="https://x.example/l">l</a> '.repeat(20_000);

      const out = sanitizeHtml(html, NO_CIDS);

      expect(out.match(/rel="noopener noreferrer"/g)).toHaveLength(20_000);
    });

    it('keeps the text of 400 nested levels and the first levels of markup', () => {
      const html = `${'<div>'.repeat(400)}deep${'</div>'.repeat(400)}`;

      const out = sanitizeHtml(html, NO_CIDS);

      expect(out.match(/<div>/g)).toHaveLength(MAX_NESTING_DEPTH);
      expect(out).toContain('deep');
    });

    it('returns the escaped text when tags are left open past the parse depth', () => {
      const html = `${'<b>'.repeat(MAX_PARSE_DEPTH + 1)}a < b${'<i>'.repeat(300_000)}`;

      expect(sanitizeHtml(html, NO_CIDS)).toBe('a &lt; b');
    });

    it('cuts input past maxInputChars before a half-open tag', () => {
      const out = sanitizeHtml('<p>abc</p><p>def</p>', {
        ...NO_CIDS,
        maxInputChars: 12,
      });

      expect(out).toBe('<p>abc</p>');
    });
  });

  describe('options', () => {
    it('refuses an unknown option with a ValidationError naming it', () => {
      expect(() =>
        sanitizeHtml('x', { ...NO_CIDS, cidmap: new Map() } as never),
      ).toThrow(ValidationError);
    });

    it('refuses a maxInputChars above MAX_SANITIZE_INPUT_CHARS', () => {
      expect(() =>
        sanitizeHtml('x', {
          ...NO_CIDS,
          maxInputChars: MAX_SANITIZE_INPUT_CHARS + 1,
        }),
      ).toThrow(/maxInputChars/);
    });
  });
});
