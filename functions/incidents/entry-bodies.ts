import type { ThreadEntry } from '../model.js';
import type { BlobLinks, BlobStore } from '../store/ports.js';
import { ENTRY_TEXT_PREVIEW_CHARS } from '../techmail/apply-decision.js';
import { entryBodyKey } from '../techmail/object-keys.js';
import { DOWNLOAD_LINK_SECONDS } from './download-links.js';

/**
 * Most bytes of entry bodies (text and HTML, as JSON) one incident
 * response carries. A Lambda response is cut off at 6 MB; this leaves room
 * for addresses, attachment lists and the incident itself.
 */
export const MAX_INLINE_BODIES_BYTES = 4 * 1024 * 1024;

/** A thread entry as the API returns it. */
export type EntryView = Omit<ThreadEntry, 'bodyKey'> & {
  /**
   * True when `text` is only the start of the body and `html` is left out;
   * `bodyUrl` then fetches the whole `{ text, html }` as JSON.
   */
  bodyTruncated: boolean;
  /** Short-lived link to the whole body, when `bodyTruncated`. */
  bodyUrl?: string;
};

/** Where bodies are kept and how links to them are made. */
export interface EntryBodyStores {
  readonly blobs: BlobStore;
  readonly links: BlobLinks;
}

/**
 * Shapes an incident's entries for the API within MAX_INLINE_BODIES_BYTES.
 * Bodies ingestion kept in the bucket stay there and are linked. Inline
 * bodies are returned whole, oldest first, until the next would pass the
 * limit; from that entry on each is linked instead, its body copied to the
 * bucket first (once) so the link has an object to serve.
 *
 * @param referenceNumber the incident
 * @param entries its entries, oldest first
 * @param stores the bucket and its link signer
 * @returns the entries, whole or with a preview and `bodyUrl`
 */
export async function presentEntries(
  referenceNumber: string,
  entries: readonly ThreadEntry[],
  stores: EntryBodyStores,
): Promise<EntryView[]> {
  let budgetBytes = MAX_INLINE_BODIES_BYTES;

  return Promise.all(
    entries.map((entry) => {
      const { bodyKey, ...rest } = entry;
      const size = inlineBodyBytes(entry);
      if (bodyKey === undefined && size <= budgetBytes) {
        budgetBytes -= size;
        return { ...rest, bodyTruncated: false };
      }
      budgetBytes = 0;

      return linkedEntry(referenceNumber, entry, stores);
    }),
  );
}

/** Bytes the body adds to the response, JSON escapes included. */
function inlineBodyBytes(entry: ThreadEntry): number {
  const html = entry.html === undefined ? '' : JSON.stringify(entry.html);

  return (
    Buffer.byteLength(JSON.stringify(entry.text)) + Buffer.byteLength(html)
  );
}

async function linkedEntry(
  referenceNumber: string,
  entry: ThreadEntry,
  stores: EntryBodyStores,
): Promise<EntryView> {
  const { bodyKey, html: _html, ...rest } = entry;
  const key = bodyKey ?? entryBodyKey(referenceNumber, entry.entryId);
  if (bodyKey === undefined) {
    const body = JSON.stringify({ text: entry.text, html: entry.html });
    await stores.blobs.putIfAbsent(key, Buffer.from(body), 'application/json');
  }

  return {
    ...rest,
    // A stored body's entry already holds just the preview.
    text: entry.text.slice(0, ENTRY_TEXT_PREVIEW_CHARS),
    bodyTruncated: true,
    bodyUrl: await stores.links.linkToGet(key, {
      expiresInSeconds: DOWNLOAD_LINK_SECONDS,
      contentType: 'application/json',
    }),
  };
}
