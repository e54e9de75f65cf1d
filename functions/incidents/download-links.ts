import { NotFoundError } from '../commons/errors.js';
import type { BlobLinks, IncidentStore } from '../store/ports.js';

/**
 * How long a download link (attachment, entry body) works. Long enough to
 * follow a redirect or open a body a client was just given; short enough
 * that a link copied into a ticket or a log is useless soon after.
 */
export const DOWNLOAD_LINK_SECONDS = 300;

/** Served when the stored type is not a plain `type/subtype`. */
const FALLBACK_CONTENT_TYPE = 'application/octet-stream';

/** A bare media type: no parameters, no spaces, nothing a header could split on. */
const MEDIA_TYPE = /^[a-z0-9][a-z0-9!#$&^_.+-]*\/[a-z0-9][a-z0-9!#$&^_.+-]*$/i;

/**
 * Characters the quoted `filename=` fallback cannot carry safely: anything
 * outside printable ASCII, the quote and backslash that would end or
 * escape the string, and `%`, which some browsers percent-decode there.
 */
const UNSAFE_FALLBACK_CHARS = /[^\x20-\x7e]|["\\%]/g;

/** Characters encodeURIComponent leaves that RFC 5987's attr-char lacks. */
const NON_ATTR_CHARS = /['()*]/g;

/**
 * A `Content-Disposition` that makes the browser save the file under its
 * name (RFC 6266): an ASCII `filename` for old clients and the exact name
 * as UTF-8 in `filename*` (RFC 5987).
 *
 * @param filename the attachment's name from its metadata
 * @returns the header value
 * @example
 * attachmentDisposition('Résumé.pdf');
 * // `attachment; filename="R_sum_.pdf"; filename*=UTF-8''R%C3%A9sum%C3%A9.pdf`
 */
export function attachmentDisposition(filename: string): string {
  const name = filename.toWellFormed() || 'attachment';
  const fallback = name.replace(UNSAFE_FALLBACK_CHARS, '_');
  const encoded = encodeURIComponent(name).replace(
    NON_ATTR_CHARS,
    (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`,
  );

  return `attachment; filename="${fallback}"; filename*=UTF-8''${encoded}`;
}

/**
 * A short-lived link to an attachment of an incident, served as a download
 * with its name and type. The link goes straight to the object store, so
 * the bytes never pass through a function's response (6 MB on Lambda).
 *
 * @param store the incident store
 * @param links signs the link
 * @param referenceNumber the incident
 * @param sha256 the attachment's SHA-256, lower-case hex
 * @returns the URL to redirect to
 * @throws NotFoundError naming the incident, or the attachment when no
 *   entry of the incident has one with that hash
 */
export async function getAttachmentLink(
  store: IncidentStore,
  links: BlobLinks,
  referenceNumber: string,
  sha256: string,
): Promise<string> {
  if (!(await store.getIncident(referenceNumber))) {
    throw new NotFoundError('incident', referenceNumber);
  }
  const entries = await store.listEntries(referenceNumber);
  const attachment = entries
    .flatMap((entry) => entry.attachments)
    .find((candidate) => candidate.sha256 === sha256);
  if (!attachment) {
    throw new NotFoundError(
      'attachment',
      `${sha256} of incident ${referenceNumber}`,
    );
  }

  return links.linkToGet(attachment.storageKey, {
    expiresInSeconds: DOWNLOAD_LINK_SECONDS,
    contentType: MEDIA_TYPE.test(attachment.contentType)
      ? attachment.contentType
      : FALLBACK_CONTENT_TYPE,
    contentDisposition: attachmentDisposition(attachment.filename),
  });
}
