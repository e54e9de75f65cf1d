import { afterEach, describe, expect, it } from 'vitest';
import { defaultMailSettings } from '../../../functions/mailboxes/mail-settings.js';
import type { Mailbox } from '../../../functions/model.js';
import { Pop3AuthError } from '../../../functions/pop3/errors.js';
import type { ServerMessage } from '../../../functions/techmail/mail-source.js';
import {
  connectPop3,
  RETRIEVE_BATCH_BYTES,
} from '../../../functions/techmail/pop3-mail-source.js';
import {
  FakePop3Server,
  type FakePop3ServerOptions,
  normalizeMessage,
} from '../../support/fake-pop3-server.js';
import { composeMail } from '../../support/mail.js';

const USERNAME = 'alice';
const PASSWORD = 's3cret';

let server: FakePop3Server | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function startServer(
  options: FakePop3ServerOptions,
): Promise<FakePop3Server> {
  server = await FakePop3Server.start({
    username: USERNAME,
    password: PASSWORD,
    ...options,
  });

  return server;
}

/** A mailbox aimed at the fake server, in plain text on loopback. */
function mailboxFor(fake: FakePop3Server): Mailbox {
  return {
    id: 'mbx-pop3',
    name: 'Fake POP3',
    popServer: '127.0.0.1',
    popPort: fake.port,
    security: 'none',
    popAccount: USERNAME,
    interfaceId: 'default',
    enabled: true,
    leaveOnServer: false,
    maxMessageBytes: 1024 * 1024,
    ...defaultMailSettings(USERNAME),
    secretName: 'techmail/mailboxes/mbx-pop3',
    status: 'ok',
    consecutiveFailures: 0,
    createdAt: '2026-12-01T00:00:00.000Z',
    updatedAt: '2026-12-01T00:00:00.000Z',
  };
}

function mails(count: number): Buffer[] {
  return Array.from({ length: count }, (_, index) =>
    composeMail({ messageId: `<p${index + 1}@customer.example>` }),
  );
}

function retrCount(fake: FakePop3Server): number {
  return fake.received.filter((line) => line.startsWith('RETR')).length;
}

describe('Pop3MailSource', () => {
  describe('connectPop3', () => {
    it('throws Pop3AuthError when the server refuses the password', async () => {
      const fake = await startServer({});

      const connecting = connectPop3(mailboxFor(fake), 'not-the-password');

      await expect(connecting).rejects.toBeInstanceOf(Pop3AuthError);
    });
  });

  describe('listMessages', () => {
    it('lists each message with its number, UIDL and size', async () => {
      const [first, second] = mails(2) as [Buffer, Buffer];
      const fake = await startServer({ messages: [first, second] });
      const source = await connectPop3(mailboxFor(fake), PASSWORD);

      const listed = await source.listMessages();

      source.abandon();
      expect(listed).toEqual([
        { msgNo: 1, uid: 'uid-1', sizeBytes: normalizeMessage(first).length },
        { msgNo: 2, uid: 'uid-2', sizeBytes: normalizeMessage(second).length },
      ]);
    });
  });

  describe('retrieve', () => {
    it('hands over the exact bytes of each message in order', async () => {
      const messages = mails(3);
      const fake = await startServer({ messages });
      const source = await connectPop3(mailboxFor(fake), PASSWORD);
      const listed = await source.listMessages();
      const received: [string, Buffer][] = [];

      await source.retrieve(listed, async (message, raw) => {
        received.push([message.uid, raw]);
        return true;
      });

      source.abandon();
      expect(received).toEqual(
        messages.map((raw, index) => [
          `uid-${index + 1}`,
          normalizeMessage(raw),
        ]),
      );
    });

    it.each([
      ['one at a time', ['USER', 'UIDL'], 6, 2],
      ['pipelined', ['USER', 'UIDL', 'PIPELINING'], 40, 17],
    ])(
      'sends no further RETR once the handler says stop (%s)',
      async (_mode, capabilities, count, most) => {
        const fake = await startServer({
          messages: mails(count),
          capabilities,
        });
        const source = await connectPop3(mailboxFor(fake), PASSWORD);
        const listed = await source.listMessages();
        const handled: ServerMessage[] = [];

        await source.retrieve(listed, async (message) => {
          handled.push(message);
          return false;
        });
        await source.commit();

        expect(handled.map((message) => message.uid)).toEqual(['uid-1']);
        expect(retrCount(fake)).toBeLessThanOrEqual(most);
      },
    );
  });

  describe('retrieve with large messages', () => {
    it('hands over every message in order when their sizes split the batches', async () => {
      const messages = mails(4);
      const fake = await startServer({ messages });
      const source = await connectPop3(mailboxFor(fake), PASSWORD);
      const listed = (await source.listMessages()).map((message) => ({
        ...message,
        sizeBytes: RETRIEVE_BATCH_BYTES / 2 + 1,
      }));
      const received: string[] = [];

      await source.retrieve(listed, async (message) => {
        received.push(message.uid);
        return true;
      });

      source.abandon();
      expect(received).toEqual(['uid-1', 'uid-2', 'uid-3', 'uid-4']);
      expect(retrCount(fake)).toBe(4);
    });
  });

  describe('retrieveHeaders', () => {
    it('fetches only the header section with TOP n 0', async () => {
      const fake = await startServer({ messages: mails(1) });
      const source = await connectPop3(mailboxFor(fake), PASSWORD);
      const [message] = await source.listMessages();

      const header = await source.retrieveHeaders(message as ServerMessage);

      source.abandon();
      expect(fake.received).toContain('TOP 1 0');
      expect(retrCount(fake)).toBe(0);
      expect(header?.toString()).toContain('Message-ID: <p1@customer.example>');
      expect(header?.toString()).not.toContain('error 42');
    });

    it('returns nothing, and keeps the session, when the server refuses TOP', async () => {
      const fake = await startServer({
        messages: mails(1),
        errorOn: { TOP: 'not supported' },
      });
      const source = await connectPop3(mailboxFor(fake), PASSWORD);
      const [message] = await source.listMessages();

      const header = await source.retrieveHeaders(message as ServerMessage);
      await source.commit();

      expect(header).toBeUndefined();
      expect(fake.quitCommits).toBe(1);
    });
  });

  describe('commit and abandon', () => {
    it('deletes only the marked messages when committed', async () => {
      const messages = mails(3);
      const fake = await startServer({ messages });
      const source = await connectPop3(mailboxFor(fake), PASSWORD);
      source.markDeleted(1);
      source.markDeleted(3);

      await source.commit();

      expect(fake.quitCommits).toBe(1);
      expect(fake.storedMessages).toEqual([
        normalizeMessage(messages[1] as Buffer),
      ]);
    });

    it('keeps every message when the session is abandoned', async () => {
      const fake = await startServer({ messages: mails(2) });
      const source = await connectPop3(mailboxFor(fake), PASSWORD);
      source.markDeleted(1);
      await source.listMessages();

      source.abandon();
      await fake.waitForDisconnect();

      expect(fake.quitCommits).toBe(0);
      expect(fake.storedMessages).toHaveLength(2);
    });

    it('commits the other deletions when the server refuses one', async () => {
      const fake = await startServer({
        messages: mails(3),
        errorOn: { 'DELE 2': 'message locked' },
      });
      const source = await connectPop3(mailboxFor(fake), PASSWORD);
      for (const msgNo of [1, 2, 3]) source.markDeleted(msgNo);

      await source.commit();

      expect(fake.quitCommits).toBe(1);
      expect(fake.storedMessages).toHaveLength(1);
    });

    it('skips a message the server refuses to retrieve and hands over the rest', async () => {
      const fake = await startServer({
        messages: mails(4),
        errorOn: { 'RETR 2': 'message file is damaged' },
      });
      const source = await connectPop3(mailboxFor(fake), PASSWORD);
      const listed = await source.listMessages();
      const received: number[] = [];

      await source.retrieve(listed, async (message) => {
        received.push(message.msgNo);
        return true;
      });

      expect(received).toEqual([1, 3, 4]);
      source.abandon();
    });
  });
});
