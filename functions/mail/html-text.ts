/**
 * Plain text of HTML without an HTML parser, for the cases where the parser
 * is the problem (input too large or nested too deep for it).
 */

const ENTITIES: Readonly<Record<string, string>> = {
  nbsp: ' ',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  amp: '&',
};

// Elements whose content is never text a reader sees.
const HIDDEN_ELEMENTS = ['script', 'style', 'head', 'title'];

// Tags that end a line of text where they stand.
const LINE_BREAKING_TAG =
  /^<\/?(br|p|div|tr|li|ul|ol|table|h[1-6]|blockquote|pre|hr)\b/i;

/**
 * Rough text of HTML in linear time: hidden elements (script, style, head)
 * go, block tags become line breaks and other tags spaces, entities are
 * decoded, runs of blanks collapse. A tag cannot contain `<` here, so each
 * character is looked at by one match attempt at most, even in input made
 * of nothing but `<`.
 *
 * @param html untrusted HTML of any size
 * @returns its text; not safe to insert into HTML unescaped
 * @example
 * htmlToPlainText('<p>a &amp; b</p><p>c</p>'); // 'a & b\nc'
 */
export function htmlToPlainText(html: string): string {
  return removeHidden(html)
    .replace(/<[^<>]*>/g, (tag) => (LINE_BREAKING_TAG.test(tag) ? '\n' : ' '))
    .replace(/&(#x[0-9a-f]{1,6}|#[0-9]{1,7}|[a-z]{2,6});/gi, decodeEntity)
    .replace(/[ \t\r\u00a0]+/g, ' ')
    .replace(/ ?\n[\n ]*/g, (breaks) =>
      breaks.includes('\n\n') ? '\n\n' : '\n',
    )
    .trim();
}

/**
 * Cuts each hidden element from its opening tag to its closing tag (or to
 * the end when it is never closed). Every search resumes where the last
 * search for the same text stopped, so the work stays linear.
 */
function removeHidden(html: string): string {
  const lower = html.toLowerCase();
  const openings = new Map(HIDDEN_ELEMENTS.map((name) => [name, -1]));
  let kept = '';
  let copied = 0;
  for (;;) {
    const next = nextOpening(lower, copied, openings);
    if (next === undefined) {
      return kept + html.slice(copied);
    }
    kept += html.slice(copied, next.at);
    const close = lower.indexOf(`</${next.name}`, next.at);
    if (close === -1) {
      return kept;
    }
    const end = lower.indexOf('>', close);
    copied = end === -1 ? html.length : end + 1;
  }
}

/** The first hidden element opening at or after `from`, if any. */
function nextOpening(
  lower: string,
  from: number,
  openings: Map<string, number>,
): { at: number; name: string } | undefined {
  let found: { at: number; name: string } | undefined;
  for (const [name, cached] of openings) {
    let at = cached;
    while (at !== Infinity && (at < from || !isTagStart(lower, at, name))) {
      const index = lower.indexOf(`<${name}`, Math.max(from, at + 1));
      at = index === -1 ? Infinity : index;
    }
    openings.set(name, at);
    if (at < (found?.at ?? Infinity)) {
      found = { at, name };
    }
  }

  return found;
}

/** Whether `<name` at `at` is that tag, not a longer name (`<styles`). */
function isTagStart(lower: string, at: number, name: string): boolean {
  return /[\s>/]/.test(lower[at + name.length + 1] ?? '>');
}

function decodeEntity(entity: string, body: string): string {
  if (body.startsWith('#')) {
    const code =
      body[1] === 'x' || body[1] === 'X'
        ? Number.parseInt(body.slice(2), 16)
        : Number.parseInt(body.slice(1), 10);

    return code > 0 && code <= 0x10ffff && (code < 0xd800 || code > 0xdfff)
      ? String.fromCodePoint(code)
      : entity;
  }

  return ENTITIES[body.toLowerCase()] ?? entity;
}
