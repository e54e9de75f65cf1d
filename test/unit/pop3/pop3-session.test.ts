import { createServer, type Server } from 'node:net';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  Pop3AuthError,
  Pop3NetworkError,
  Pop3ProtocolError,
  Pop3TimeoutError,
} from '../../../functions/pop3/errors.js';
import { Pop3Session } from '../../../functions/pop3/pop3-session.js';
import {
  createTestCertificate,
  type TestCertificate,
} from '../../support/fake-pop3-server.js';
import {
  Harness,
  PASSWORD,
  rejectionOf,
  renderDeep,
} from './session-helpers.js';

const MESSAGES = [
  'Subject: one\n\nfirst body\n',
  'Subject: two\n\nsecond\nbody\nlines\n',
];

describe('Pop3Session', () => {
  const harness = new Harness();
  const silentServers: Server[] = [];
  let certificate: TestCertificate;

  /** Starts a server that accepts connections and never says a word. */
  async function listenSilently(): Promise<number> {
    const server = createServer(() => {});
    silentServers.push(server);
    await new Promise<void>((resolve) =>
      server.listen(0, '127.0.0.1', resolve),
    );
    const address = server.address();

    return typeof address === 'object' && address !== null ? address.port : 0;
  }

  beforeAll(() => {
    certificate = createTestCertificate();
  });

  afterEach(async () => {
    await harness.cleanUp();
    for (const server of silentServers.splice(0)) server.close();
  });

  describe('connect', () => {
    it('logs in with USER and PASS when CAPA lists no SASL PLAIN', async () => {
      const server = await harness.server();

      await harness.connect(server);

      expect(server.received).toEqual([
        'CAPA',
        'USER alice',
        `PASS ${PASSWORD}`,
        'CAPA',
      ]);
    });

    it('logs in with AUTH PLAIN when CAPA lists SASL PLAIN', async () => {
      const server = await harness.server({
        capabilities: ['USER', 'SASL PLAIN LOGIN'],
      });
      const token = Buffer.from(`\0alice\0${PASSWORD}`).toString('base64');

      await harness.connect(server);

      expect(server.received).toEqual(['CAPA', `AUTH PLAIN ${token}`, 'CAPA']);
    });

    it('logs in with USER and PASS when auth is user despite SASL PLAIN', async () => {
      const server = await harness.server({ capabilities: ['SASL PLAIN'] });

      await harness.connect(server, { auth: 'user' });

      expect(server.received).toContain('USER alice');
    });

    it('logs in when the server does not understand CAPA', async () => {
      const server = await harness.server({ noCapa: true });

      const session = await harness.connect(server);

      expect(session.capabilities.size).toBe(0);
      expect(session.pipelineWindow).toBe(1);
    });

    it('upgrades with STLS before sending any credential', async () => {
      const server = await harness.server({
        certificate,
        capabilities: ['USER', 'STLS', 'PIPELINING'],
      });

      const session = await harness.connect(server, {
        security: 'starttls',
        tls: { ca: certificate.cert },
      });

      expect(server.received).toEqual([
        'CAPA',
        'STLS',
        'CAPA',
        'USER alice',
        `PASS ${PASSWORD}`,
        'CAPA',
      ]);
      expect(session.capabilities.has('STLS')).toBe(false);
      await expect(session.noop()).resolves.toBeUndefined();
    });

    it('rejects with Pop3ProtocolError when starttls is asked and the server lacks STLS', async () => {
      const server = await harness.server({ certificate });

      const error = await rejectionOf(
        harness.connect(server, { security: 'starttls' }),
      );

      expect(error).toBeInstanceOf(Pop3ProtocolError);
      expect(error).toMatchObject({ command: 'STLS', retryable: false });
      expect(server.received).toEqual(['CAPA']);
    });

    it('rejects with Pop3ProtocolError when plaintext follows the STLS reply', async () => {
      const server = await harness.server({
        certificate,
        capabilities: ['STLS'],
        injectAfterStls: '+OK injected\r\n',
      });

      const error = await rejectionOf(
        harness.connect(server, { security: 'starttls' }),
      );

      expect(error).toBeInstanceOf(Pop3ProtocolError);
      expect(server.received).toEqual(['CAPA', 'STLS']);
    });

    it('connects with implicit TLS when the server CA is passed in', async () => {
      const server = await harness.server({ certificate, implicitTls: true });

      const session = await harness.connect(server, {
        security: 'tls',
        tls: { ca: certificate.cert },
      });

      await expect(session.stat()).resolves.toEqual({ count: 0, size: 0 });
    });

    it('rejects with a CERTIFICATE Pop3NetworkError when the certificate is untrusted', async () => {
      const server = await harness.server({ certificate, implicitTls: true });

      const error = await rejectionOf(
        harness.connect(server, { security: 'tls' }),
      );

      expect(error).toBeInstanceOf(Pop3NetworkError);
      expect(error).toMatchObject({
        code: 'CERTIFICATE',
        systemCode: 'DEPTH_ZERO_SELF_SIGNED_CERT',
        retryable: false,
      });
    });

    it('rejects with a CERTIFICATE Pop3NetworkError when the host name does not match', async () => {
      const server = await harness.server({ certificate, implicitTls: true });

      const error = await rejectionOf(
        harness.connect(server, {
          security: 'tls',
          tls: { ca: certificate.cert, servername: 'mail.example.org' },
        }),
      );

      expect(error).toMatchObject({
        code: 'CERTIFICATE',
        systemCode: 'ERR_TLS_CERT_ALTNAME_INVALID',
      });
    });

    it('rejects with a CONNECTION_REFUSED Pop3NetworkError when nothing listens', async () => {
      const server = await harness.server();
      const { port } = server;
      await server.close();

      const error = await rejectionOf(harness.connect(server, { port }));

      expect(error).toBeInstanceOf(Pop3NetworkError);
      expect(error).toMatchObject({
        code: 'CONNECTION_REFUSED',
        retryable: true,
      });
    });

    it('rejects with Pop3TimeoutError when the greeting never comes', async () => {
      const port = await listenSilently();

      const error = await rejectionOf(
        Pop3Session.connect({
          host: '127.0.0.1',
          port,
          security: 'none',
          username: 'alice',
          password: PASSWORD,
          commandTimeoutMs: 100,
        }),
      );

      expect(error).toBeInstanceOf(Pop3TimeoutError);
      expect(error).toMatchObject({ command: 'GREETING', retryable: true });
    });

    it('rejects with Pop3TimeoutError when the TLS handshake never completes', async () => {
      const port = await listenSilently();

      const error = await rejectionOf(
        Pop3Session.connect({
          host: '127.0.0.1',
          port,
          username: 'alice',
          password: PASSWORD,
          connectTimeoutMs: 100,
        }),
      );

      expect(error).toBeInstanceOf(Pop3TimeoutError);
      expect(error).toMatchObject({ command: 'CONNECT', timeoutMs: 100 });
    });

    it('rejects with Pop3AuthError carrying [AUTH] when PASS is refused', async () => {
      const server = await harness.server({ password: 'other' });

      const error = await rejectionOf(harness.connect(server));

      expect(error).toBeInstanceOf(Pop3AuthError);
      expect(error).toMatchObject({ responseCode: 'AUTH', retryable: false });
    });

    it('rejects with a retryable Pop3AuthError when the mailbox is [IN-USE]', async () => {
      const server = await harness.server({
        rejectLogin: '[IN-USE] mailbox locked',
      });

      const error = await rejectionOf(harness.connect(server));

      expect(error).toMatchObject({ responseCode: 'IN-USE', retryable: true });
    });
  });

  describe('commands', () => {
    it('returns totals from STAT, sizes from LIST and ids from UIDL', async () => {
      const server = await harness.server({ messages: MESSAGES });
      const session = await harness.connect(server);
      const sizes = server.storedMessages.map((message) => message.length);

      const [stat, list, uidl] = await Promise.all([
        session.stat(),
        session.list(),
        session.uidl(),
      ]);

      expect(stat).toEqual({
        count: 2,
        size: (sizes[0] ?? 0) + (sizes[1] ?? 0),
      });
      expect(list).toEqual([
        { msgNo: 1, size: sizes[0] },
        { msgNo: 2, size: sizes[1] },
      ]);
      expect(uidl).toEqual([
        { msgNo: 1, uid: 'uid-1' },
        { msgNo: 2, uid: 'uid-2' },
      ]);
    });

    it('returns the header and the first body lines from TOP', async () => {
      const server = await harness.server({ messages: MESSAGES });
      const session = await harness.connect(server);

      const head = await session.top(2, 1);

      expect(head.toString('latin1')).toBe('Subject: two\r\n\r\nsecond\r\n');
    });

    it('rejects with Pop3ProtocolError naming the command when the server answers -ERR', async () => {
      const server = await harness.server({
        messages: MESSAGES,
        errorOn: { RETR: '[SYS/TEMP] try later' },
      });
      const session = await harness.connect(server);

      const error = await rejectionOf(session.retr(1));

      expect(error).toBeInstanceOf(Pop3ProtocolError);
      expect(error).toMatchObject({
        command: 'RETR',
        responseCode: 'SYS/TEMP',
        retryable: true,
      });
      await expect(session.noop()).resolves.toBeUndefined();
    });

    it('rejects a message number that is not a positive integer', async () => {
      const server = await harness.server({ messages: MESSAGES });
      const session = await harness.connect(server);

      await expect(session.retr(0)).rejects.toMatchObject({ field: 'msgNo' });
      expect(server.received).not.toContain('RETR 0');
    });
  });

  describe('deletion', () => {
    it('keeps messages on the server when closed without QUIT after DELE', async () => {
      const server = await harness.server({ messages: MESSAGES });
      const session = await harness.connect(server);
      await session.dele(1);

      session.close();
      await server.waitForDisconnect();

      expect(server.quitCommits).toBe(0);
      expect(server.storedMessages).toHaveLength(2);
    });

    it('removes deleted messages when QUIT commits', async () => {
      const server = await harness.server({ messages: MESSAGES });
      const session = await harness.connect(server);
      await session.dele(1);

      await session.quit();

      expect(server.quitCommits).toBe(1);
      expect(server.storedMessages.map((m) => m.toString('latin1'))).toEqual([
        'Subject: two\r\n\r\nsecond\r\nbody\r\nlines\r\n',
      ]);
      expect(session.closed).toBe(true);
    });

    it('unmarks deletions with RSET', async () => {
      const server = await harness.server({ messages: MESSAGES });
      const session = await harness.connect(server);
      await session.dele(1);

      await session.rset();
      await session.quit();

      expect(server.storedMessages).toHaveLength(2);
    });

    it('rejects commands after close with a SESSION_CLOSED Pop3NetworkError', async () => {
      const server = await harness.server({ messages: MESSAGES });
      const session = await harness.connect(server);

      session.close();

      await expect(session.noop()).rejects.toMatchObject({
        code: 'SESSION_CLOSED',
      });
    });
  });

  describe('secrets', () => {
    const secretForms = [
      PASSWORD,
      Buffer.from(PASSWORD).toString('base64'),
      Buffer.from(`\0alice\0${PASSWORD}`).toString('base64'),
    ];
    const scenarios = [
      {
        name: 'PASS is refused with an echo',
        server: { rejectLogin: `[AUTH] wrong password ${PASSWORD}` },
      },
      {
        name: 'AUTH is refused with an echo',
        server: {
          capabilities: ['SASL PLAIN'],
          rejectLogin: `bad ${secretForms[2]}`,
        },
      },
      { name: 'the server stalls after PASS', server: { stallOn: 'PASS' } },
      { name: 'the server cuts after PASS', server: { cutOn: 'PASS' } },
      {
        name: 'the server stalls after AUTH',
        server: { capabilities: ['SASL PLAIN'], stallOn: 'AUTH' },
      },
    ];

    it.each(scenarios)(
      'keeps the password out of the error when $name',
      async (scenario) => {
        const server = await harness.server(scenario.server);

        const error = await rejectionOf(
          harness.connect(server, { commandTimeoutMs: 300 }),
        );

        const rendered = renderDeep(error);
        expect(error).toBeInstanceOf(Error);
        for (const secret of secretForms) {
          expect(rendered).not.toContain(secret);
        }
      },
    );
  });
});
