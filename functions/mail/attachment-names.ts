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
  'image/jpg': 'jpg',
  'image/pjpeg': 'jpg',
  'image/gif': 'gif',
  'image/webp': 'webp',
  'image/bmp': 'bmp',
  'image/svg+xml': 'svg',
  'message/rfc822': 'eml',
  'message/global': 'eml',
  'message/delivery-status': 'txt',
  'message/disposition-notification': 'txt',
  'text/rfc822-headers': 'txt',
  'text/html': 'html',
  'text/calendar': 'ics',
  'text/csv': 'csv',
  'text/plain': 'txt',
};

// Types whose made-up extension says nothing about other files with it
// (a `.txt` is rarely a DSN, a `.dat` rarely TNEF).
const NAMING_ONLY_TYPES = new Set([
  'application/ms-tnef',
  'message/delivery-status',
  'message/disposition-notification',
  'text/rfc822-headers',
]);

// The type of a file by its extension, for files whose sender's client
// recorded none (attachments inside winmail.dat); the first type wins.
const TYPES_BY_EXTENSION: ReadonlyMap<string, string> = new Map(
  Object.entries(FALLBACK_EXTENSIONS)
    .filter(([type]) => !NAMING_ONLY_TYPES.has(type))
    .reverse()
    .map(([type, extension]) => [extension, type]),
);

// Characters a subject may hold that no file name should: path separators
// and the ones Windows refuses.
const UNSAFE_IN_FILENAME = /[/\\:*?"<>|]/g;

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
    // Bidirectional controls let `invoice\u202Efdp.exe` show as
    // `invoiceexe.pdf`, disguising the real extension to an agent.
    .replace(/[\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, '')
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

/**
 * Names an attached message after its subject, as mail clients do when
 * saving one.
 *
 * @param subject the decoded subject of the attached message
 * @returns e.g. `Quarterly report.eml`, or undefined for a blank subject
 * @example
 * messageFilename('Re: offer 4/2'); // 'Re_ offer 4_2.eml'
 */
export function messageFilename(subject: string): string | undefined {
  const stem = subject
    .replace(UNSAFE_IN_FILENAME, '_')
    .replace(/\s+/g, ' ')
    .trim();

  return stem === '' ? undefined : cleanFilename(`${stem}.eml`);
}

/**
 * Guesses a MIME type from a file name's extension.
 *
 * @param filename a file name
 * @returns the type, or `application/octet-stream` when unknown
 * @example
 * contentTypeForFilename('scan.PDF'); // 'application/pdf'
 */
export function contentTypeForFilename(filename: string): string {
  const dot = filename.lastIndexOf('.');
  const extension = dot === -1 ? '' : filename.slice(dot + 1).toLowerCase();

  return TYPES_BY_EXTENSION.get(extension) ?? 'application/octet-stream';
}
