import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { logger } from '../../functions/commons/powertools/logger.js';
import type { Mailbox, Run, RunMessage } from '../../functions/model.js';
import { connectPop3 } from '../../functions/techmail/pop3-mail-source.js';
import { runMailbox } from '../../functions/techmail/run-mailbox.js';
import {
  type CorpusMessage,
  loadCorpus,
  type MessageClass,
} from '../support/corpus.js';
import { type DovecotServer, startDovecot } from '../support/dovecot.js';
import {
  addMailbox,
  startTestStores,
  type TestStores,
} from '../support/stores.js';

const PASSWORD = 'corpus-Pa55word';
const CORPUS = loadCorpus();

/** The sets whose expectations say what kind of mail each message is. */
const CLASSIFIED_SOURCES = new Set([
  'sisimai-set-of-emails',
  'mail-deliverystatus-bounceparser',
]);

/** The run reason each corpus class should get (ordinary mail: none). */
const EXPECTED_REASON: Readonly<Record<MessageClass, string | undefined>> = {
  bounce: 'bounce',
  'auto-reply': 'auto-reply',
  feedback: 'abuse-report',
  delivered: 'delivery-report',
  ordinary: undefined,
};

/**
 * Fixtures whose corpus label reflects the upstream tool's view rather
 * than what the message is. Both stay out of the incident list either way;
 * only the reason differs.
 */
const REASON_OVERRIDES: Readonly<Record<string, string>> = {
  // Sisimai files this fml list server's "Loop Alert: Duplicated
  // Message-ID" notice as a bounce, but it reports no failed delivery (no
  // DSN, no failed recipient): it is the list manager's own mail, which its
  // X-MLServer header marks as list mail.
  'sisimai-set-of-emails/lhost-fml-03.eml': 'auto-reply',
  // BounceParser's assembler labels Boxbe's challenge-response an
  // auto-reply, but Boxbe sends it as a multipart/report DSN whose
  // recipient has Action: failed, so by its structure it is a bounce.
  'mail-deliverystatus-bounceparser/boxbe-cr.msg': 'bounce',
};

/**
 * Dovecot's UIDL format here is `%08Xu%08Xv`: the IMAP UID comes first, and
 * UIDs follow delivery order.
 */
function fixtureOf(message: RunMessage): CorpusMessage {
  const index = Number.parseInt(message.uidl.slice(0, 8), 16) - 1;

  return CORPUS[index] as CorpusMessage;
}

function classOf(message: CorpusMessage): MessageClass | undefined {
  return CLASSIFIED_SOURCES.has(message.source)
    ? message.expected.classification?.messageClass
    : undefined;
}

describe('the classifier on every corpus message, through a real POP3 server', () => {
  let dovecot: DovecotServer;
  let stores: TestStores;
  let mailbox: Mailbox;
  let run: Run;

  beforeAll(async () => {
    logger.setLogLevel('SILENT');
    dovecot = await startDovecot({
      users: [{ user: 'support', password: PASSWORD }],
    });
    stores = await startTestStores();
    mailbox = await addMailbox(
      stores,
      {
        popServer: dovecot.host,
        popPort: dovecot.pop3sPort,
        security: 'tls',
        popAccount: 'support',
      },
      PASSWORD,
    );
    await dovecot.deliver(
      'support',
      CORPUS.map((message) => message.bytes()),
    );

    ({ run } = await runMailbox(
      { mailboxId: mailbox.id, runId: randomUUID(), trigger: 'on-demand' },
      {
        ...stores,
        // NODE_EXTRA_CA_CERTS is read only at process start; the test CA
        // is passed the way connectPop3 takes extra trust, checks still on.
        connect: (target, password) =>
          connectPop3(target, password, { ca: dovecot.caPem }),
        remainingTimeMs: () => 600_000,
        leaseTtlMs: 900_000,
        now: () => new Date(),
      },
    ));
  }, 600_000);

  afterAll(async () => {
    await stores?.stop();
    await dovecot?.stop();
  });

  it('takes every message without a crash, each with exactly one outcome, and empties the mailbox', async () => {
    expect(run.status).toBe('succeeded');
    expect(run.messages).toHaveLength(CORPUS.length);
    expect(new Set(run.messages.map(fixtureOf)).size).toBe(CORPUS.length);
    const { seen, ...outcomes } = run.counts;
    expect(seen).toBe(CORPUS.length);
    expect(Object.values(outcomes).reduce((a, b) => a + b, 0)).toBe(seen);
    expect(await dovecot.countMessages('support')).toBe(0);
  });

  it('opens no incident for a bounce, auto-reply, ARF report or success DSN of the classified sets', () => {
    const automatic = run.messages.filter((message) => {
      const expected = classOf(fixtureOf(message));
      return expected !== undefined && expected !== 'ordinary';
    });

    const opened = automatic
      .filter((message) => message.outcome === 'created')
      .map((message) => fixtureOf(message).id);

    expect(automatic.length).toBeGreaterThanOrEqual(85);
    expect(opened).toEqual([]);
  });

  it('gives each message of the classified sets the reason of its class', () => {
    const classified = run.messages.filter(
      (message) => classOf(fixtureOf(message)) !== undefined,
    );

    const actual = classified.map((message) => [
      fixtureOf(message).id,
      message.reason,
    ]);
    const expected = classified.map((message) => {
      const fixture = fixtureOf(message);
      const reason =
        REASON_OVERRIDES[fixture.id] ??
        EXPECTED_REASON[classOf(fixture) as MessageClass];

      return [fixture.id, reason];
    });

    expect(actual).toEqual(expected);
  });

  it('opens an incident for every ordinary message of the classified sets', () => {
    const ordinary = run.messages.filter(
      (message) => classOf(fixtureOf(message)) === 'ordinary',
    );

    expect(ordinary.length).toBeGreaterThan(0);
    expect(
      ordinary.map((message) => [fixtureOf(message).id, message.outcome]),
    ).toEqual(ordinary.map((message) => [fixtureOf(message).id, 'created']));
  });

  it('matches the expectation for every message of every class', () => {
    const figures = new Map<string, { total: number; matched: number }>();
    for (const message of run.messages) {
      const expected = classOf(fixtureOf(message));
      if (expected === undefined) continue;
      const opened = message.outcome === 'created';
      const matched = expected === 'ordinary' ? opened : !opened;
      const figure = figures.get(expected) ?? { total: 0, matched: 0 };
      figures.set(expected, {
        total: figure.total + 1,
        matched: figure.matched + (matched ? 1 : 0),
      });
    }

    console.info('corpus classification', {
      counts: run.counts,
      byClass: Object.fromEntries(figures),
    });
    expect([...figures.keys()].sort()).toEqual([
      'auto-reply',
      'bounce',
      'delivered',
      'feedback',
      'ordinary',
    ]);
    for (const { total, matched } of figures.values()) {
      expect(matched).toBe(total);
    }
  });
});
