/**
 * Idempotency keys of messages. A key is a fixed prefix plus 64 hex digits,
 * so it is short, ASCII-only and free of `/`: usable as it is in a DynamoDB
 * key and as a segment of an S3 object key.
 */
import { createHash } from 'node:crypto';

/**
 * SHA-256 of bytes (or of a string's UTF-8 encoding), as lower-case hex.
 *
 * @param data what to hash
 * @returns 64 hex digits
 * @example
 * sha256Hex(Buffer.from('abc')); // 'ba7816bf...'
 */
export function sha256Hex(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * The key that identifies a message across runs: `mid:<sha256>` of its
 * lower-cased Message-ID when it has one, otherwise its {@link contentKey}.
 *
 * The Message-ID is hashed rather than used as is: it is sender-chosen text
 * of any length and character set. When the record stored under this key
 * has a different content hash, the id was reused for another message; the
 * caller then keys the new message by {@link contentKey} instead.
 *
 * @param messageId the parsed Message-ID (no brackets), if any
 * @param raw the message bytes as received
 * @returns `mid:` or `sha:` followed by 64 hex digits
 * @example
 * messageKey('Abc@Example.com', raw) === messageKey('abc@example.com', raw);
 */
export function messageKey(messageId: string | undefined, raw: Buffer): string {
  const id = messageId?.trim().toLowerCase();

  return id ? `mid:${sha256Hex(id)}` : contentKey(raw);
}

/**
 * The key of a message by its bytes alone: `sha:<sha256 of raw>`. Used when
 * there is no Message-ID, when the id was reused for different content, and
 * for quarantined messages.
 *
 * @param raw the message bytes as received
 * @returns `sha:` followed by 64 hex digits
 * @example
 * contentKey(raw).slice(4) === sha256Hex(raw); // true
 */
export function contentKey(raw: Buffer): string {
  return `sha:${sha256Hex(raw)}`;
}
