/**
 * File names of attachments: cleaning the ones senders choose, and making
 * one up for parts that have none.
 */

/** Longest attachment file name kept, in characters (common FS limit). */
export const MAX_FILENAME_CHARS = 255;

const FALLBACK_EXTENSIONS: Readonly<Record<string, string>> = {
  'application/pdf': 'pdf',
  'application/zip': 'zip',
  'application/gzip': 'gz',
  'application/x-gzip': 'gz',
  'application/json': 'json',
  'application/xml': 'xml',
  'application/msword': 'doc',
  'application/vnd.ms-excel': 'xls',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document':
    'docx',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': 'xlsx',
  'application/pkcs7-signature': 'p7s',
  'application/pgp-signature': 'asc',
  'application/ms-tnef': 'dat',
  'image/png': 'png',
  'image/jpeg': 'jpg',
  'image/gif': 'gif',
  'image/webp': 'webp',
  'image/bmp': 'bmp',
  'image/svg+xml': 'svg',
  'message/rfc822': 'eml',
  'message/delivery-status': 'txt',
  'message/disposition-notification': 'txt',
  'text/rfc822-headers': 'txt',
  'text/html': 'html',
  'text/calendar': 'ics',
  'text/csv': 'csv',
};

/**
 * Makes a sender-chosen file name safe to show and to save: keeps the last
 * path segment (no `../` tricks), drops control characters (no terminal
 * escapes), and shortens it to {@link MAX_FILENAME_CHARS}.
 *
 * @param filename the decoded name from the message, if any
 * @returns the cleaned name, or undefined when nothing usable is left
 * @example
 * cleanFilename('../../etc/passwd'); // 'passwd'
 */
export function cleanFilename(
  filename: string | undefined,
): string | undefined {
  const base = (filename ?? '')
    .split(/[/\\]/)
    .pop()
    // biome-ignore lint/suspicious/noControlCharactersInRegex: removing them is the point
    ?.replace(/[\u0000-\u001f\u007f]/g, '')
    .trim();
  if (base === undefined || base === '' || base === '.' || base === '..') {
    return undefined;
  }

  return base.length <= MAX_FILENAME_CHARS ? base : shorten(base);
}

/** Cuts the stem of a long name so its extension survives. */
function shorten(name: string): string {
  const dot = name.lastIndexOf('.');
  const extension = dot > 0 && name.length - dot <= 16 ? name.slice(dot) : '';

  return name.slice(0, MAX_FILENAME_CHARS - extension.length) + extension;
}

/**
 * Names an attachment that came without a name, by its position and type.
 *
 * @param contentType the lower-case MIME type
 * @param position the attachment's 1-based position in the message
 * @returns e.g. `attachment-2.pdf`; `.bin` for unknown types
 * @example
 * fallbackFilename('message/rfc822', 1); // 'attachment-1.eml'
 */
export function fallbackFilename(
  contentType: string,
  position: number,
): string {
  const extension =
    FALLBACK_EXTENSIONS[contentType] ??
    (contentType.startsWith('text/') ? 'txt' : 'bin');

  return `attachment-${position}.${extension}`;
}
