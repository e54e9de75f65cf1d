import { TechmailError } from '../commons/errors.js';

/** Base class of the errors raised while reading a mail message. */
export class MailError extends TechmailError {
  /**
   * @param message what failed and what to do next
   * @param options the standard `cause`
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'MailError';
  }
}

/**
 * Why a message could not be parsed:
 * - `empty`: no bytes, or only whitespace;
 * - `no-headers`: not one header field, so this is not a mail message;
 * - `too-large`: more bytes than the parser accepts;
 * - `too-many-header-lines`: a header section past the line limit;
 * - `too-complex`: more MIME parts, deeper nesting or a larger part header
 *   than the limits allow (a parser-exhaustion attack, or a mail bomb);
 * - `malformed`: the MIME parser gave up on a broken structure.
 */
export type MailParseFailure =
  | 'empty'
  | 'no-headers'
  | 'too-large'
  | 'too-many-header-lines'
  | 'too-complex'
  | 'malformed';

/**
 * A message cannot be parsed. It is permanent: retrying gives the same
 * result, so the caller quarantines the raw bytes instead.
 */
export class MailParseError extends MailError {
  /**
   * @param reason the kind of failure, for the quarantine record
   * @param message what failed; never quotes the message content
   * @param options the standard `cause` (the parser's own error)
   */
  constructor(
    readonly reason: MailParseFailure,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'MailParseError';
  }
}
