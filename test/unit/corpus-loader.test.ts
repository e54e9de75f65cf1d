import { createHash } from 'node:crypto';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  CORPUS_DIR,
  type CorpusMessage,
  type CorpusSource,
  loadCorpus,
} from '../support/corpus.js';

const corpus = loadCorpus();

function byId(id: string): CorpusMessage {
  const message = corpus.find((candidate) => candidate.id === id);
  if (!message) throw new Error(`fixture ${id} is missing`);

  return message;
}

function countBy<T>(items: readonly T[], key: (item: T) => string | undefined) {
  const counts: Record<string, number> = {};
  for (const item of items) {
    const name = key(item);
    if (name !== undefined) counts[name] = (counts[name] ?? 0) + 1;
  }

  return counts;
}

describe('loadCorpus', () => {
  describe('messages', () => {
    it('lists all 302 messages once, per source as the corpus README says', () => {
      const expected: Record<CorpusSource, number> = {
        enmime: 23,
        flanker: 22,
        'mail-deliverystatus-bounceparser': 28,
        mimekit: 14,
        'nodemailer-mailparser': 7,
        'php-mime-mail-parser': 14,
        'postal-mime': 2,
        'request-tracker': 14,
        'ruby-mail': 32,
        'sisimai-set-of-emails': 60,
        'stalwart-mail-parser': 33,
        zammad: 53,
      };

      expect(corpus).toHaveLength(302);
      expect(new Set(corpus.map((message) => message.id)).size).toBe(302);
      expect(countBy(corpus, (message) => message.source)).toEqual(expected);
    });

    it('reads every message from test/fixtures with the size and SHA-256 of the manifest', () => {
      const fixturesDir = path.join('test', 'fixtures', 'corpus') + path.sep;

      for (const message of corpus) {
        const bytes = message.bytes();

        expect(message.path.startsWith(CORPUS_DIR)).toBe(true);
        expect(bytes.length, message.id).toBe(message.size);
        expect(createHash('sha256').update(bytes).digest('hex')).toBe(
          message.sha256,
        );
      }
      expect(CORPUS_DIR.endsWith(fixturesDir)).toBe(true);
    });
  });

  describe('parse expectations', () => {
    it('gives a subject for 70 messages, a sender for 69 and attachments for 86', () => {
      const expectedOf = (field: 'subject' | 'from' | 'attachments') =>
        countBy(corpus, (message) =>
          message.expected[field] === undefined ? undefined : message.source,
        );

      expect(expectedOf('subject')).toEqual({
        zammad: 39,
        'php-mime-mail-parser': 14,
        'stalwart-mail-parser': 17,
      });
      expect(expectedOf('from')).toEqual({
        zammad: 39,
        'php-mime-mail-parser': 14,
        'stalwart-mail-parser': 16,
      });
      expect(expectedOf('attachments')).toEqual({
        zammad: 39,
        'php-mime-mail-parser': 14,
        'stalwart-mail-parser': 33,
      });
    });

    it('lower-cases sender addresses and omits empty or placeholder display names', () => {
      expect(byId('zammad/mail001.box').expected.from).toEqual({
        address: 'john.smith@example.com',
      });
      expect(byId('php-mime-mail-parser/m0018.eml').expected.from).toEqual({
        address: 'name@company.com',
      });
      expect(byId('zammad/mail003.box').expected.from).toEqual({
        address: 'k.guenther@example.com',
        name: 'Günther John | Example GmbH',
      });
    });

    it('drops the message.html alternative Zammad stores as an attachment', () => {
      expect(byId('zammad/mail009.box').expected.attachments).toEqual([
        {
          filename: 'super-seven.jpg',
          size: 50606,
          md5: 'ddbdf67aa2f5c60c294008a54d57082b',
        },
      ]);
      expect(byId('zammad/mail001.box').expected.attachments).toEqual([]);
    });

    it('turns php-mime-mail-parser placeholder names into null', () => {
      expect(byId('php-mime-mail-parser/m0010.eml').expected).toMatchObject({
        subject: 'Mail de 800ko without filename',
        attachments: [{ filename: null, size: 817938 }],
      });
    });

    it('reads subject, sender and decoded attachment sizes from Stalwart parse trees', () => {
      expect(byId('stalwart-mail-parser/rfc/002.eml').expected).toEqual({
        subject: '[Fwd: Map of Argentina with Description]',
        from: { address: 'vice-president@whitehouse.gov', name: 'Al Gore' },
        attachments: [{ filename: null, size: 2026 }],
      });
      expect(
        byId('stalwart-mail-parser/rfc/008.eml').expected.attachments,
      ).toEqual([{ filename: 'attached_email.eml', size: 872 }]);
      expect(
        byId('stalwart-mail-parser/thirdparty/018.eml').expected.attachments,
      ).toEqual([
        { filename: 'kigaaldcbanejcbi.png', size: 242 },
        { filename: 'attach2.png', size: 158 },
      ]);
    });

    it('gives every expected attachment a whole, non-negative size', () => {
      const sizes = corpus.flatMap(
        (message) => message.expected.attachments?.map((a) => a.size) ?? [],
      );

      expect(sizes.length).toBeGreaterThan(0);
      for (const size of sizes) {
        expect(Number.isInteger(size) && size >= 0).toBe(true);
      }
    });

    it('has no expectations for robustness-only sources and 14 Zammad mails', () => {
      const withExpectations = new Set<CorpusSource>([
        'mail-deliverystatus-bounceparser',
        'php-mime-mail-parser',
        'sisimai-set-of-emails',
        'stalwart-mail-parser',
        'zammad',
      ]);
      const empty = corpus.filter(
        (message) => Object.keys(message.expected).length === 0,
      );

      expect(
        empty.filter((message) => !withExpectations.has(message.source)),
      ).toHaveLength(114);
      expect(
        empty.filter((message) => message.source === 'zammad'),
      ).toHaveLength(14);
      expect(empty).toHaveLength(128);
    });
  });

  describe('classification', () => {
    const classOf = (id: string) =>
      byId(id).expected.classification?.messageClass;

    it('classifies the 88 bounce-set messages into the five classes', () => {
      const classes = countBy(
        corpus,
        (message) => message.expected.classification?.messageClass,
      );

      expect(classes).toEqual({
        bounce: 78,
        'auto-reply': 7,
        feedback: 1,
        delivered: 1,
        ordinary: 1,
      });
    });

    it('maps Sisimai reasons to classes', () => {
      expect(classOf('sisimai-set-of-emails/rfc3834-01.eml')).toBe(
        'auto-reply',
      );
      expect(classOf('sisimai-set-of-emails/arf-12.eml')).toBe('feedback');
      expect(classOf('sisimai-set-of-emails/lhost-amazonses-12.eml')).toBe(
        'delivered',
      );
      expect(classOf('sisimai-set-of-emails/is-not-bounce-01.eml')).toBe(
        'ordinary',
      );
      expect(
        byId('sisimai-set-of-emails/lhost-exim-08.eml').expected.classification,
      ).toEqual({ messageClass: 'bounce', reasons: ['expired'] });
    });

    it('classifies BounceParser non-bounces by the assembler label', () => {
      const set = 'mail-deliverystatus-bounceparser';

      for (const file of [
        'aol-vacation',
        'autoreply',
        'bluebottle',
        'boxbe-cr',
      ]) {
        expect(classOf(`${set}/${file}.msg`), file).toBe('auto-reply');
      }
      expect(classOf(`${set}/warning-8.msg`)).toBe('bounce');
      expect(byId(`${set}/quota.msg`).expected.classification).toEqual({
        messageClass: 'bounce',
        reasons: ['over_quota'],
      });
    });
  });
});
