/**
 * Builds raw test messages line by line, for cases `composeMail` does not
 * cover (extra headers, multipart reports).
 */

/** Header fields and body of a message. */
export interface RawMailParts {
  readonly from?: string;
  readonly to?: string;
  readonly cc?: string;
  readonly subject?: string;
  /** With angle brackets. */
  readonly messageId?: string;
  /** Any further header lines. */
  readonly headers?: readonly string[];
  readonly contentType?: string;
  readonly body?: string;
}

/**
 * A message with CRLF line ends, as a POP3 server hands it over.
 *
 * @param parts header fields and body
 * @returns the bytes
 * @example
 * rawMail({ headers: ['Auto-Submitted: auto-replied'] });
 */
export function rawMail(parts: RawMailParts = {}): Buffer {
  const lines = [
    `From: ${parts.from ?? 'Carol Customer <carol@customer.example>'}`,
    `To: ${parts.to ?? 'support@helpdesk.example'}`,
    ...(parts.cc === undefined ? [] : [`Cc: ${parts.cc}`]),
    `Subject: ${parts.subject ?? 'Printer on floor 3 is jammed'}`,
    'Date: Fri, 04 Dec 2026 09:15:00 +0000',
    `Message-ID: ${parts.messageId ?? '<m1@customer.example>'}`,
    ...(parts.headers ?? []),
    'MIME-Version: 1.0',
    `Content-Type: ${parts.contentType ?? 'text/plain; charset=utf-8'}`,
    '',
    parts.body ?? 'It shows error 42 and will not print.',
    '',
  ];

  return Buffer.from(lines.join('\r\n'), 'utf8');
}

/**
 * A non-delivery report (RFC 3464) that returns the header of the message
 * that bounced.
 *
 * @param returned header lines of the message that bounced
 * @param messageId the report's own Message-ID, with brackets
 * @returns the bytes
 */
export function bounceOf(
  returned: readonly string[],
  messageId = '<dsn@mx.customer.example>',
): Buffer {
  const boundary = 'report-boundary';

  return rawMail({
    from: 'Mail Delivery System <MAILER-DAEMON@mx.customer.example>',
    to: 'support@helpdesk.example',
    subject: 'Undelivered Mail Returned to Sender',
    messageId,
    contentType: `multipart/report; report-type=delivery-status; boundary="${boundary}"`,
    body: [
      `--${boundary}`,
      'Content-Type: text/plain',
      '',
      'Your message could not be delivered to carol@customer.example.',
      `--${boundary}`,
      'Content-Type: message/delivery-status',
      '',
      'Reporting-MTA: dns; mx.customer.example',
      '',
      'Final-Recipient: rfc822; carol@customer.example',
      'Action: failed',
      'Status: 5.1.1',
      `--${boundary}`,
      'Content-Type: text/rfc822-headers',
      '',
      ...returned,
      `--${boundary}--`,
    ].join('\r\n'),
  });
}
