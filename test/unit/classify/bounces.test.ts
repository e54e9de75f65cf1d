import { describe, expect, it } from 'vitest';
import { classifyMessage } from '../../../functions/classify/classify-message.js';
import { craft, LEVELS, multipart, settings } from './crafted-mail.js';

const RETURNED = [
  'From: Support <support@helpdesk.example>',
  'To: carol@customer.example',
  'Subject: Re: [Incident: 261204-000123] Printer',
  'Message-ID: <reply-1@mail.helpdesk.example>',
  'In-Reply-To: <m1@customer.example>',
  'References: <m0@customer.example> <m1@customer.example>',
  '',
  'We have sent a technician.',
].join('\r\n');

/** A DSN in multipart/report form with the given recipient actions. */
function dsn(actions: readonly string[], returnedType = 'message/rfc822') {
  const status = actions
    .map(
      (action) =>
        `Final-Recipient: rfc822; carol@customer.example\r\nAction: ${action}\r\nStatus: 5.1.1`,
    )
    .join('\r\n\r\n');

  return craft({
    from: 'Mail Delivery System <MAILER-DAEMON@mx.customer.example>',
    subject: 'Undelivered Mail Returned to Sender',
    messageId: '<dsn-1@mx.customer.example>',
    contentType: 'multipart/report; report-type=delivery-status; boundary="b1"',
    body: multipart('b1', [
      ['text/plain', 'Your message could not be delivered.'],
      [
        'message/delivery-status',
        `Reporting-MTA: dns; mx.customer.example\r\n\r\n${status}`,
      ],
      [returnedType, RETURNED],
    ]),
  });
}

describe('classifyMessage on bounces and reports', () => {
  describe('delivery status notifications', () => {
    it.each(LEVELS)(
      'takes a failed DSN for a bounce at level %s',
      async (level) => {
        const parsed = await dsn(['failed']);

        expect(classifyMessage(parsed, settings(level))).toEqual({
          kind: 'bounce',
          signal: 'delivery-status',
          bouncedMessageIds: [
            'reply-1@mail.helpdesk.example',
            'm1@customer.example',
            'm0@customer.example',
          ],
          bouncedSubject: 'Re: [Incident: 261204-000123] Printer',
        });
      },
    );

    it('reads the ids from a text/rfc822-headers part too', async () => {
      const parsed = await dsn(['failed'], 'text/rfc822-headers');

      const verdict = classifyMessage(parsed, settings('off'));

      expect(verdict).toMatchObject({
        kind: 'bounce',
        bouncedMessageIds: expect.arrayContaining([
          'reply-1@mail.helpdesk.example',
        ]),
      });
    });

    it('takes a delay warning for a bounce: the reply has not arrived', async () => {
      const parsed = await dsn(['delayed']);

      expect(classifyMessage(parsed, settings('off')).kind).toBe('bounce');
    });

    it.each([
      ['delivered'],
      ['relayed'],
      ['expanded'],
      ['delivered', 'relayed'],
    ])(
      'suppresses a success DSN whose actions are %s as a delivery report',
      async (...actions) => {
        const parsed = await dsn(actions);

        expect(classifyMessage(parsed, settings('off'))).toEqual({
          kind: 'delivery-report',
          signal: 'delivery-status-success',
        });
      },
    );

    it('takes a DSN with one failure among deliveries for a bounce', async () => {
      const parsed = await dsn(['delivered', 'failed']);

      expect(classifyMessage(parsed, settings('off')).kind).toBe('bounce');
    });

    it('finds a message/delivery-status part outside multipart/report', async () => {
      const parsed = await craft({
        contentType: 'multipart/mixed; boundary="b2"',
        body: multipart('b2', [
          ['text/plain', 'Delivery failed.'],
          ['message/delivery-status', 'Action: failed\r\nStatus: 5.0.0'],
        ]),
      });

      expect(classifyMessage(parsed, settings('off'))).toMatchObject({
        kind: 'bounce',
        signal: 'delivery-status',
      });
    });

    it('takes multipart/report without a report-type for a bounce', async () => {
      const parsed = await craft({
        contentType: 'multipart/report; boundary="b3"',
        body: multipart('b3', [['text/plain', 'Could not deliver.']]),
      });

      expect(classifyMessage(parsed, settings('off'))).toMatchObject({
        kind: 'bounce',
        signal: 'multipart-report',
      });
    });
  });

  describe('bounces without a report part', () => {
    it.each(LEVELS)(
      'takes X-Failed-Recipients for a bounce at level %s',
      async (level) => {
        const parsed = await craft({
          headers: ['X-Failed-Recipients: carol@customer.example'],
        });

        expect(classifyMessage(parsed, settings(level))).toMatchObject({
          kind: 'bounce',
          signal: 'x-failed-recipients',
        });
      },
    );

    it.each([
      ['a MAILER-DAEMON sender', { from: 'MAILER-DAEMON@mx.example.net' }],
      [
        'a postmaster sender',
        { from: 'Postmaster <postmaster@mx.example.net>' },
      ],
      ['a bare MAILER-DAEMON name', { from: 'MAILER-DAEMON <>' }],
      [
        'a MAILER-DAEMON Return-Path',
        { headers: ['Return-Path: <MAILER-DAEMON@mx.example.net>'] },
      ],
    ])(
      'takes %s for a bounce from the moderate level',
      async (_case, parts) => {
        const parsed = await craft(parts);

        expect(classifyMessage(parsed, settings('conservative')).kind).toBe(
          'ordinary',
        );
        expect(classifyMessage(parsed, settings('moderate'))).toMatchObject({
          kind: 'bounce',
          signal: 'mail-system-sender',
        });
      },
    );

    it('takes a null Return-Path with a bounce subject for a bounce from the moderate level', async () => {
      const parsed = await craft({
        subject: 'Returned mail: see transcript for details',
        headers: ['Return-Path: <>'],
      });

      expect(classifyMessage(parsed, settings('moderate'))).toMatchObject({
        kind: 'bounce',
        signal: 'null-return-path',
      });
    });

    it('takes a null Return-Path alone for an auto-reply', async () => {
      const parsed = await craft({ headers: ['Return-Path: <>'] });

      expect(classifyMessage(parsed, settings('moderate'))).toEqual({
        kind: 'auto-reply',
        strength: 'header',
        signal: 'null-return-path',
      });
    });

    it.each([
      'Undeliverable: Re: Printer',
      'Undelivered Mail Returned to Sender',
      'Delivery Status Notification (Failure)',
      'Mail delivery failed: returning message to sender',
      'failure notice',
      'Unzustellbar: Drucker',
    ])(
      'acts on the bounce subject "%s" only at the aggressive level',
      async (subject) => {
        const parsed = await craft({ subject });

        expect(classifyMessage(parsed, settings('moderate')).kind).toBe(
          'ordinary',
        );
        expect(classifyMessage(parsed, settings('aggressive'))).toMatchObject({
          kind: 'bounce',
          signal: 'bounce-subject',
        });
      },
    );

    it('prefers bounce over auto-reply when an MTA also sets Auto-Submitted', async () => {
      const parsed = await craft({
        from: 'Mailer-Daemon@mx.example.net',
        headers: ['Auto-Submitted: auto-replied'],
      });

      expect(classifyMessage(parsed, settings('conservative')).kind).toBe(
        'bounce',
      );
    });
  });

  describe('bounced Message-IDs', () => {
    it('falls back on Original-Message-ID in the delivery-status fields', async () => {
      const parsed = await craft({
        contentType:
          'multipart/report; report-type=delivery-status; boundary="b4"',
        body: multipart('b4', [
          ['text/plain', 'Delivery failed.'],
          [
            'message/delivery-status',
            'Original-Message-ID: <reply-2@mail.helpdesk.example>\r\n\r\nAction: failed',
          ],
        ]),
      });

      expect(classifyMessage(parsed, settings('off'))).toMatchObject({
        bouncedMessageIds: ['reply-2@mail.helpdesk.example'],
      });
    });

    it('falls back on headers quoted in the body, leaving out its own id', async () => {
      const parsed = await craft({
        from: 'MAILER-DAEMON@mx.example.net',
        messageId: '<bounce-3@mx.example.net>',
        body: [
          'Hi. This is the qmail-send program.',
          '--- Below this line is a copy of the message.',
          'Message-ID: <reply-3@mail.helpdesk.example>',
          '> Message-Id: <bounce-3@mx.example.net>',
        ].join('\r\n'),
      });

      expect(classifyMessage(parsed, settings('moderate'))).toMatchObject({
        kind: 'bounce',
        bouncedMessageIds: ['reply-3@mail.helpdesk.example'],
      });
    });
  });

  describe('other reports', () => {
    it.each([
      ['multipart/report; report-type=feedback-report; boundary="b5"'],
      ['multipart/mixed; boundary="b5"'],
    ])(
      'suppresses an ARF report (%s) as an abuse report',
      async (contentType) => {
        const parsed = await craft({
          contentType,
          body: multipart('b5', [
            ['text/plain', 'This is an abuse report.'],
            ['message/feedback-report', 'Feedback-Type: abuse\r\nVersion: 1'],
          ]),
        });

        expect(classifyMessage(parsed, settings('off'))).toEqual({
          kind: 'abuse-report',
          signal: 'feedback-report',
        });
      },
    );

    it('suppresses a read receipt as a delivery report', async () => {
      const parsed = await craft({
        contentType:
          'multipart/report; report-type=disposition-notification; boundary="b6"',
        body: multipart('b6', [
          ['text/plain', 'Your message was displayed.'],
          [
            'message/disposition-notification',
            'Disposition: manual-action/MDN-sent-manually; displayed',
          ],
        ]),
      });

      expect(classifyMessage(parsed, settings('off'))).toEqual({
        kind: 'delivery-report',
        signal: 'disposition-notification',
      });
    });

    it.each([
      ['Delivery', { kind: 'delivery-report', signal: 'ses-delivery' }],
      ['Complaint', { kind: 'abuse-report', signal: 'ses-complaint' }],
      ['Bounce', { kind: 'bounce', signal: 'ses-bounce' }],
    ])('reads an Amazon SES %s notification', async (type, expected) => {
      const parsed = await craft({
        from: 'no-reply@sns.amazonaws.com',
        headers: ['x-amz-sns-message-id: 1af9f4b7'],
        body: `{"notificationType":"${type}","mail":{}}\r\n--\r\nunsubscribe here`,
      });

      expect(classifyMessage(parsed, settings('off'))).toMatchObject(expected);
    });

    it('leaves other SNS mail, such as an alarm, ordinary', async () => {
      const parsed = await craft({
        from: 'no-reply@sns.amazonaws.com',
        subject: 'ALARM: "disk full" in EU (Ireland)',
        headers: ['x-amz-sns-message-id: 1af9f4b8'],
        body: 'You are receiving this email because your alarm is in ALARM.',
      });

      expect(classifyMessage(parsed, settings('moderate')).kind).toBe(
        'ordinary',
      );
    });
  });
});
