import { randomBytes } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Incident, Mailbox, Run } from '../../functions/model.js';
import { type DovecotServer, startDovecot } from '../support/dovecot.js';
import { type FaultProxy, startFaultProxy } from '../support/fault-proxy.js';
import { listeningSockets } from '../support/listening-sockets.js';
import { composeMail } from '../support/mail.js';
import {
  type RuntimeProcess,
  startRuntimeProcess,
  waitForRun,
} from '../support/runtime-process.js';

const tag = randomBytes(6).toString('hex');
/** Distinctive values: any of them in a log line is a leak. */
const PASSWORD = `Pw-${tag}-NOT-FOR-LOGS`;
const ROTATED = `Rotated-${tag}-NOT-FOR-LOGS`;
const WRONG = `Wrong-${tag}-NOT-FOR-LOGS`;
const AUTHORIZATION = `AWS4-HMAC-SHA256 Credential=AKIA${tag}/20261204/us-east-1/execute-api/aws4_request, SignedHeaders=host, Signature=${tag}SIGNATURE`;
const BODY_MARKERS = [0, 1, 2, 3].map((n) => `BODY-${tag}-${n}-SECRET-TEXT`);

/** A reply of the local API, as any client sees it. */
interface Reply<T = Record<string, unknown>> {
  status: number;
  body: T;
  raw: string;
}

describe('secrets, access and idempotency of the local runtime', () => {
  let dovecot: DovecotServer;
  let proxy: FaultProxy;
  let runtime: RuntimeProcess;
  let dataDir: string;
  /** Every response body the API sent. */
  const responses: string[] = [];

  beforeAll(async () => {
    dovecot = await startDovecot({
      users: [
        { user: 'secret', password: PASSWORD },
        { user: 'refused', password: PASSWORD },
        { user: 'busy', password: PASSWORD },
        { user: 'twice', password: PASSWORD },
        { user: 'race', password: PASSWORD },
      ],
    });
    proxy = await startFaultProxy({ targetPort: dovecot.pop3sPort });
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'techmail-secrets-'));
    runtime = await startRuntimeProcess({
      TECHMAIL_DATA_DIR: dataDir,
      NODE_EXTRA_CA_CERTS: dovecot.caPath,
      // Everything the service can log, debug detail included.
      POWERTOOLS_LOG_LEVEL: 'DEBUG',
    });
  });

  afterAll(async () => {
    await runtime?.stop();
    await proxy?.close();
    await dovecot?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  /** Calls the API the way a SigV4 client would, with an Authorization. */
  async function api<T = Record<string, unknown>>(
    method: string,
    route: string,
    body?: unknown,
  ): Promise<Reply<T>> {
    const response = await fetch(`${runtime.apiUrl}${route}`, {
      method,
      headers: {
        authorization: AUTHORIZATION,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const raw = await response.text();
    responses.push(raw);

    return {
      status: response.status,
      body: (raw === '' ? {} : JSON.parse(raw)) as T,
      raw,
    };
  }

  function mailboxBody(user: string, extra: Record<string, unknown> = {}) {
    return {
      name: `Mailbox ${user}`,
      popServer: dovecot.host,
      popPort: dovecot.pop3sPort,
      popAccount: user,
      password: PASSWORD,
      ...extra,
    };
  }

  async function runToEnd(mailboxId: string): Promise<Run> {
    const queued = await api<{ runId: string }>(
      'POST',
      `/mailboxes/${mailboxId}/runs`,
    );
    expect(queued.status).toBe(202);

    return waitForRun<Run>(runtime.apiUrl, queued.body.runId, 60_000);
  }

  describe('a full run, with failures, through every route', () => {
    it('serves mail, failures and quarantine through every route', async () => {
      await dovecot.deliver('secret', [
        composeMail({
          messageId: '<s1@customer.example>',
          body: BODY_MARKERS[0],
        }),
        composeMail({
          messageId: '<s2@customer.example>',
          body: `<p>${BODY_MARKERS[1]}</p>`,
        }),
        Buffer.from(`${BODY_MARKERS[2]} without any header\r\n`),
        composeMail({ messageId: null, body: BODY_MARKERS[3] }),
      ]);
      const created = await api<Mailbox>(
        'POST',
        '/mailboxes',
        mailboxBody('secret'),
      );
      const refused = await api<Mailbox>(
        'POST',
        '/mailboxes',
        mailboxBody('refused', { password: WRONG }),
      );
      const run = await runToEnd(created.body.id);
      const failed = await runToEnd(refused.body.id);
      await dovecot.setPassword('refused', ROTATED);
      await api('PATCH', `/mailboxes/${refused.body.id}`, {
        password: ROTATED,
      });
      const rotated = await runToEnd(refused.body.id);
      const incidents = await api<{ items: Incident[] }>(
        'GET',
        `/incidents?mailboxId=${created.body.id}`,
      );
      for (const incident of incidents.body.items) {
        await api('GET', `/incidents/${incident.referenceNumber}`);
      }
      const quarantine = await api<{ items: { sha256: string }[] }>(
        'GET',
        `/quarantine?mailboxId=${created.body.id}`,
      );
      for (const item of quarantine.body.items) {
        await api(
          'POST',
          `/quarantine/${created.body.id}/${item.sha256}/reprocess`,
        );
      }
      await api('GET', '/mailboxes');
      await api('GET', `/mailboxes/${created.body.id}`);
      await api('GET', `/runs/${run.runId}`);
      await api('POST', '/runs');
      await api('DELETE', `/mailboxes/${refused.body.id}`);

      expect(run.status).toBe('succeeded');
      expect(failed.error?.code).toBe('LoginRejected');
      expect(rotated.status).toBe('succeeded');
      expect(incidents.body.items.length).toBeGreaterThan(0);
      expect(quarantine.body.items).toHaveLength(1);
    }, 120_000);

    it('never returns a password from any route', () => {
      expect(responses.length).toBeGreaterThan(10);
      for (const body of responses) {
        for (const secret of [PASSWORD, ROTATED, WRONG]) {
          expect(body).not.toContain(secret);
        }
        expect(body).not.toMatch(/"password"/);
      }
    });

    it('listens on 127.0.0.1 only, for the API and every stand-in', () => {
      const sockets = listeningSockets(runtime.pid);

      expect(new URL(runtime.apiUrl).hostname).toBe('127.0.0.1');
      expect(sockets.length).toBeGreaterThanOrEqual(5);
      for (const socket of sockets) {
        expect(socket).toMatchObject({ family: 'tcp', address: '127.0.0.1' });
      }
    });

    it('keeps the secrets file readable by its owner only', () => {
      const file = path.join(dataDir, 'secrets', 'secrets.json');
      const { mode } = statSync(file);

      expect(mode & 0o777).toBe(0o600);
      expect(readFileSync(file, 'utf8')).toContain(PASSWORD);
    });
  });

  describe('idempotent API', () => {
    it('answers a second POST /mailboxes for the same server and account with 409, never two mailboxes', async () => {
      const first = await api<Mailbox>(
        'POST',
        '/mailboxes',
        mailboxBody('twice'),
      );
      const again = await api('POST', '/mailboxes', mailboxBody('twice'));
      const otherCase = await api(
        'POST',
        '/mailboxes',
        mailboxBody('twice', { popAccount: 'TWICE', name: 'Shouting' }),
      );

      expect(first.status).toBe(201);
      expect(again.status).toBe(409);
      expect(otherCase.status).toBe(409);
      expect(again.body).toMatchObject({
        error: { code: 'Conflict', mailboxId: first.body.id },
      });
      expect(await mailboxesFor('twice')).toHaveLength(1);
    });

    it('creates one mailbox when ten identical POST /mailboxes arrive at once', async () => {
      const replies = await Promise.all(
        Array.from({ length: 10 }, () =>
          api('POST', '/mailboxes', mailboxBody('race')),
        ),
      );

      const statuses = replies.map((reply) => reply.status).sort();
      expect(statuses).toEqual([201, ...Array(9).fill(409)]);
      expect(await mailboxesFor('race')).toHaveLength(1);
    });

    it('answers POST /mailboxes/{id}/runs with 409 and the running run id while a run holds the mailbox', async () => {
      await dovecot.deliver(
        'busy',
        [1, 2, 3, 4].map((n) =>
          composeMail({
            messageId: `<busy-${n}@customer.example>`,
            body: 'padding '.repeat(20_000),
          }),
        ),
      );
      proxy.plan([{ trickle: { chunkBytes: 1024, delayMs: 5 } }]);
      const mailbox = await api<Mailbox>(
        'POST',
        '/mailboxes',
        mailboxBody('busy', { popPort: proxy.port }),
      );
      const running = await api<{ runId: string }>(
        'POST',
        `/mailboxes/${mailbox.body.id}/runs`,
      );
      await sleep(200);

      const second = await api('POST', `/mailboxes/${mailbox.body.id}/runs`);
      const all = await api<{ runs: { mailboxId: string }[] }>('POST', '/runs');

      expect(running.status).toBe(202);
      expect(second.status).toBe(409);
      expect(second.body).toMatchObject({
        error: { code: 'Conflict', runId: running.body.runId },
      });
      expect(
        all.body.runs.find((run) => run.mailboxId === mailbox.body.id),
      ).toMatchObject({ status: 'running', runId: running.body.runId });
      const finished = await waitForRun<Run>(
        runtime.apiUrl,
        running.body.runId,
        60_000,
      );
      expect(finished.status).toBe('succeeded');
    }, 60_000);
  });

  describe('the log of everything above', () => {
    it('holds no password, no message body and no Authorization header', async () => {
      await runtime.stop();
      const log = runtime.output.join('\n');

      expect(runtime.output.length).toBeGreaterThan(20);
      for (const secret of [PASSWORD, ROTATED, WRONG, ...BODY_MARKERS]) {
        expect(log).not.toContain(secret);
      }
      for (const password of [PASSWORD, ROTATED, WRONG]) {
        for (const user of ['secret', 'refused']) {
          const plain = Buffer.from(`\0${user}\0${password}`).toString(
            'base64',
          );
          expect(log).not.toContain(plain);
        }
      }
      expect(log).not.toContain(tag);
    });
  });

  async function mailboxesFor(account: string): Promise<Mailbox[]> {
    const listed = await api<{ items: Mailbox[] }>('GET', '/mailboxes');

    return listed.body.items.filter(
      (mailbox) => mailbox.popAccount.toLowerCase() === account,
    );
  }
});
