/**
 * Turns the HTML of a hostile message into markup an agent's browser can
 * show: an allow-list of formatting, tables, lists and links; no scripts,
 * forms, frames, event handlers or remote content.
 *
 * Cost: sanitize-html makes one pass over the input with htmlparser2, and
 * for ordinary markup (tens of thousands of links, tables, a few hundred
 * levels of nesting) the work grows with the input size. The exception is
 * unclosed tags: htmlparser2 keeps open elements in an array it shifts on
 * every open tag, so each costs as much as the current depth, and a
 * megabyte of `<b>` takes tens of seconds. The input size limit bounds the
 * ordinary work and the parse depth limit bounds that quadratic case.
 */
import sanitize from 'sanitize-html';
import { ValidationError } from '../commons/errors.js';
import { htmlToPlainText } from './html-text.js';

/** Longest HTML sanitised, in characters; the rest is cut off first. */
export const MAX_SANITIZE_INPUT_CHARS = 1024 * 1024;

/**
 * Deepest tag nesting kept; deeper tags are dropped (their text stays).
 * Blocks nesting bombs aimed at the browser's layout engine.
 */
export const MAX_NESTING_DEPTH = 100;

/**
 * Deepest the parser's stack of open elements may grow. Past it the HTML
 * is a nesting bomb (see above): its text is returned escaped instead.
 */
export const MAX_PARSE_DEPTH = 1000;

/** What sanitizing needs to know besides the HTML. */
export interface SanitizeHtmlOptions {
  /**
   * Content-ID (no brackets) to the URL or object key to show instead of
   * `cid:` images; images that are not listed here are dropped.
   */
  readonly cidMap: ReadonlyMap<string, string>;
  /** @default MAX_SANITIZE_INPUT_CHARS */
  readonly maxInputChars?: number;
}

const OPTION_NAMES = new Set(['cidMap', 'maxInputChars']);

// Named colors, hex and rgb()/rgba(): no url(), no expression().
const CSS_COLOR = [/^#[0-9a-f]{3,8}$/i, /^rgba?\([\d\s.,%]+\)$/i, /^[a-z]+$/i];

const ALLOWED_STYLES: sanitize.IOptions['allowedStyles'] = {
  '*': {
    color: CSS_COLOR,
    'background-color': CSS_COLOR,
    'text-align': [/^(left|right|center|justify)$/i],
    'font-weight': [/^(normal|bold|bolder|lighter|[1-9]00)$/i],
    'font-style': [/^(normal|italic|oblique)$/i],
    'text-decoration': [/^(none|underline|line-through|overline)$/i],
    'font-size': [/^\d{1,3}(\.\d{1,2})?(px|pt|em|rem|%)$/i],
  },
};

const ALLOWED_TAGS = [
  ...['p', 'br', 'div', 'span', 'hr', 'blockquote', 'pre', 'code', 'center'],
  ...['b', 'strong', 'i', 'em', 'u', 's', 'strike', 'del', 'ins', 'mark'],
  ...['sub', 'sup', 'small', 'big', 'font', 'tt', 'abbr', 'cite', 'q'],
  ...['h1', 'h2', 'h3', 'h4', 'h5', 'h6'],
  ...['ul', 'ol', 'li', 'dl', 'dt', 'dd'],
  ...['table', 'caption', 'colgroup', 'col', 'thead', 'tbody', 'tfoot'],
  ...['tr', 'th', 'td'],
  ...['a', 'img'],
];

const CELL_ATTRIBUTES = ['colspan', 'rowspan', 'valign', 'width', 'height'];

const ALLOWED_ATTRIBUTES: sanitize.IOptions['allowedAttributes'] = {
  '*': ['style', 'dir', 'lang', 'title', 'align'],
  a: ['href', 'rel'],
  img: ['src', 'alt', 'width', 'height'],
  font: ['color', 'size', 'face'],
  table: ['border', 'cellpadding', 'cellspacing', 'width'],
  td: CELL_ATTRIBUTES,
  th: CELL_ATTRIBUTES,
  col: ['span', 'width'],
  colgroup: ['span', 'width'],
  ol: ['start', 'type'],
};

const LINK_SCHEME = /^(https?|mailto):/i;

/**
 * Sanitises message HTML for display.
 *
 * @param html the HTML body as parsed, untrusted
 * @param options the `cid:` map and an optional size limit
 * @returns safe HTML; '' when nothing is left; the escaped text alone when
 *   the markup nests deeper than {@link MAX_PARSE_DEPTH}
 * @throws ValidationError when an option is unknown or out of range
 * @example
 * sanitizeHtml('<img src="cid:logo@x"><script>x()</script>', {
 *   cidMap: new Map([['logo@x', '/attachments/abc']]),
 * }); // '<img src="/attachments/abc" />'
 */
export function sanitizeHtml(
  html: string,
  options: SanitizeHtmlOptions,
): string {
  const input = cutAt(html, checkOptions(options));
  try {
    return sanitize(input, sanitizeOptions(foldKeys(options.cidMap)));
  } catch (error) {
    if (error instanceof ParseTooDeep) {
      return escapeText(htmlToPlainText(input));
    }
    throw error;
  }
}

/** Thrown from inside the parser's callbacks to stop a nesting bomb. */
class ParseTooDeep extends Error {}

function sanitizeOptions(cids: ReadonlyMap<string, string>): sanitize.IOptions {
  let depth = 0;

  return {
    allowedTags: ALLOWED_TAGS,
    allowedAttributes: ALLOWED_ATTRIBUTES,
    allowedStyles: ALLOWED_STYLES,
    allowedSchemes: ['http', 'https', 'mailto'],
    allowedSchemesByTag: {},
    allowProtocolRelative: false,
    disallowedTagsMode: 'discard',
    nonTextTags: ['script', 'style', 'textarea', 'option', 'noscript', 'title'],
    nestingLimit: MAX_NESTING_DEPTH,
    transformTags: {
      a: (tagName, attribs) => ({ tagName, attribs: linkAttributes(attribs) }),
      img: (tagName, attribs) => ({
        tagName,
        attribs: imageAttributes(attribs, cids),
      }),
    },
    exclusiveFilter: (frame) => frame.tag === 'img' && !frame.attribs.src,
    // The parser reports a close, implied or not, for every open it
    // reports (void elements included), so this is its stack depth.
    onOpenTag: () => {
      depth += 1;
      if (depth > MAX_PARSE_DEPTH) {
        throw new ParseTooDeep();
      }
    },
    onCloseTag: () => {
      depth -= 1;
    },
  };
}

function checkOptions(options: SanitizeHtmlOptions): number {
  for (const name of Object.keys(options)) {
    if (!OPTION_NAMES.has(name)) {
      throw new ValidationError(
        `options.${name}`,
        `sanitizeHtml has no option ${name}; use cidMap or maxInputChars`,
      );
    }
  }
  const { maxInputChars = MAX_SANITIZE_INPUT_CHARS } = options;
  if (
    !Number.isSafeInteger(maxInputChars) ||
    maxInputChars < 1 ||
    maxInputChars > MAX_SANITIZE_INPUT_CHARS
  ) {
    throw new ValidationError(
      'options.maxInputChars',
      `options.maxInputChars must be a whole number from 1 to ${MAX_SANITIZE_INPUT_CHARS}`,
    );
  }

  return maxInputChars;
}

/** Content-IDs are matched case-insensitively: clients differ in case. */
function foldKeys(map: ReadonlyMap<string, string>): Map<string, string> {
  return new Map([...map].map(([cid, url]) => [cid.toLowerCase(), url]));
}

/** Cuts to the limit, dropping a tag the cut would leave half-open. */
function cutAt(html: string, maxChars: number): string {
  if (html.length <= maxChars) {
    return html;
  }
  const cut = html.slice(0, maxChars);
  const open = cut.lastIndexOf('<');

  return open > cut.lastIndexOf('>') ? cut.slice(0, open) : cut;
}

function linkAttributes(attribs: sanitize.Attributes): sanitize.Attributes {
  const { href: rawHref, rel: _rel, ...rest } = attribs;
  const href = rawHref?.trim();

  return {
    ...rest,
    ...(href !== undefined && LINK_SCHEME.test(href) ? { href } : {}),
    rel: 'noopener noreferrer',
  };
}

/** Keeps an image only when it is an attachment of the message itself. */
function imageAttributes(
  attribs: sanitize.Attributes,
  cids: ReadonlyMap<string, string>,
): sanitize.Attributes {
  const { src: rawSrc, ...rest } = attribs;
  const src = rawSrc?.trim() ?? '';
  const url = /^cid:/i.test(src) ? cids.get(decodeCid(src.slice(4))) : '';

  return url ? { ...rest, src: url } : rest;
}

/**
 * A cid: URL is percent-encoded (RFC 2392), and some clients keep the
 * brackets of the Content-ID in it; a broken escape stays as it is.
 */
function decodeCid(value: string): string {
  let cid = value;
  try {
    cid = decodeURIComponent(value);
  } catch {
    // keep the raw value: it can still match a Content-ID literally
  }

  return cid.replace(/^<|>$/g, '').toLowerCase();
}

function escapeText(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;');
}
