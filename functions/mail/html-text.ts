/**
 * Plain text of HTML without an HTML parser, for the cases where the parser
 * is the problem (input too large or nested too deep for it).
 */

const ENTITIES: Readonly<Record<string, string>> = {
  '&nbsp;': ' ',
  '&lt;': '<',
  '&gt;': '>',
  '&quot;': '"',
  '&#39;': "'",
  '&amp;': '&',
};

/**
 * Rough text of HTML in linear time: tags become spaces, the common named
 * entities are decoded, runs of blanks collapse. A tag cannot contain `<`
 * here, so each character is looked at by one match attempt at most, even
 * in input made of nothing but `<`.
 *
 * @param html untrusted HTML of any size
 * @returns its text; not safe to insert into HTML unescaped
 * @example
 * htmlToPlainText('<p>a &amp; b</p>'); // 'a & b'
 */
export function htmlToPlainText(html: string): string {
  return html
    .replace(/<[^<>]*>/g, ' ')
    .replace(/&(nbsp|lt|gt|quot|#39|amp);/g, (entity) => ENTITIES[entity] ?? '')
    .replace(/[ \t]+/g, ' ')
    .trim();
}
