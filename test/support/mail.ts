/** Parts of a crafted test message; each has a harmless default. */
export interface MailParts {
  readonly from?: string;
  readonly subject?: string;
  /** With angle brackets; `null` leaves the header out. */
  readonly messageId?: string | null;
  readonly inReplyTo?: string;
  readonly body?: string;
}

/**
 * Writes a small RFC 5322 message with CRLF line ends, as a POP3 server
 * would hand it over.
 *
 * @param parts the headers and body to use
 * @returns the message bytes
 * @example
 * const raw = composeMail({ subject: 'Printer jammed', messageId: '<a@x>' });
 */
export function composeMail(parts: MailParts = {}): Buffer {
  const headers = [
    `From: ${parts.from ?? 'Carol Customer <carol@customer.example>'}`,
    'To: support@helpdesk.example',
    `Subject: ${parts.subject ?? 'Printer on floor 3 is jammed'}`,
    'Date: Fri, 04 Dec 2026 09:15:00 +0000',
  ];
  if (parts.messageId !== null) {
    headers.push(`Message-ID: ${parts.messageId ?? '<m1@customer.example>'}`);
  }
  if (parts.inReplyTo) headers.push(`In-Reply-To: ${parts.inReplyTo}`);
  headers.push('MIME-Version: 1.0', 'Content-Type: text/plain; charset=utf-8');
  const body = parts.body ?? 'It shows error 42 and will not print.';

  return Buffer.from(`${headers.join('\r\n')}\r\n\r\n${body}\r\n`, 'utf8');
}
