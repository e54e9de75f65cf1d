/**
 * What a mailbox run needs from a mail server, independent of the protocol
 * library. The POP3 adapter implements it; tests may use an in-memory one.
 */

/** A message waiting on the server. */
export interface ServerMessage {
  /** Message number within this session (POP3 msg-number). */
  msgNo: number;
  /** Unique id that survives sessions (POP3 UIDL). */
  uid: string;
  /** Size the server announces, in octets. */
  sizeBytes: number;
}

/** An open, authenticated session on one mailbox. */
export interface MailSource {
  /** Every message currently in the mailbox, in server order. */
  listMessages(): Promise<ServerMessage[]>;
  /**
   * Retrieves messages in the given order and hands each one's exact bytes
   * to `onMessage`, awaiting it before the next. May keep several requests
   * in flight. Stops as soon as `onMessage` returns false.
   */
  retrieve(
    messages: readonly ServerMessage[],
    onMessage: (message: ServerMessage, raw: Buffer) => Promise<boolean>,
  ): Promise<void>;
  /**
   * Retrieves only the header section of a message (POP3 TOP n 0), for a
   * message too large to retrieve whole.
   *
   * @returns the header bytes; undefined when the server refuses
   */
  retrieveHeaders(message: ServerMessage): Promise<Buffer | undefined>;
  /**
   * Marks a message for deletion without waiting for the server's reply;
   * `commit` waits for every such reply before making deletions final.
   */
  markDeleted(msgNo: number): void;
  /** Ends the session and makes deletions permanent. */
  commit(): Promise<void>;
  /** Drops the session; the server keeps every message. */
  abandon(): void;
}
