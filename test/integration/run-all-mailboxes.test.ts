import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Run } from '../../functions/model.js';
import { type DovecotServer, startDovecot } from '../support/dovecot.js';
import {
  callApi,
  type RuntimeProcess,
  startRuntimeProcess,
  waitForRun,
} from '../support/runtime-process.js';

const PASSWORD = 'three-mailboxes-Pa55';
const USERS = ['sales', 'billing', 'helpdesk'] as const;
const MESSAGES_PER_MAILBOX = 5;

function mail(user: string, index: number): Buffer {
  return Buffer.from(
    `From: Customer ${index} <c${index}@customer.example>\r\nTo: ${user}@help.example\r\nSubject: ${user} question ${index}\r\nMessage-ID: <${user}-${index}@customer.example>\r\nDate: Fri, 04 Dec 2026 09:00:00 +0000\r\n\r\nQuestion ${index} for ${user}.\r\n`,
  );
}

describe('POST /runs on the local runtime', () => {
  let dovecot: DovecotServer;
  let runtime: RuntimeProcess;
  let dataDir: string;
  const mailboxIds = new Map<string, string>();

  beforeAll(async () => {
    dovecot = await startDovecot({
      users: USERS.map((user) => ({ user, password: PASSWORD })),
    });
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'techmail-runs-'));
    runtime = await startRuntimeProcess({
      TECHMAIL_DATA_DIR: dataDir,
      NODE_EXTRA_CA_CERTS: dovecot.caPath,
    });
    for (const user of USERS) {
      await dovecot.deliver(
        user,
        Array.from({ length: MESSAGES_PER_MAILBOX }, (_, i) => mail(user, i)),
      );
      const created = await callApi<{ id: string }>(
        runtime.apiUrl,
        'POST',
        '/mailboxes',
        {
          name: user,
          popServer: dovecot.host,
          popPort: dovecot.pop3sPort,
          popAccount: user,
          password: PASSWORD,
        },
      );
      expect(created.status).toBe(201);
      mailboxIds.set(user, created.body.id);
    }
  });

  afterAll(async () => {
    await runtime?.stop();
    await dovecot?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('gives each enabled mailbox its own run, and each run empties its mailbox', async () => {
    const reply = await callApi<{
      runs: { runId: string; mailboxId: string; status: string }[];
    }>(runtime.apiUrl, 'POST', '/runs');

    expect(reply.status).toBe(202);
    expect(reply.body.runs.map((run) => run.status)).toEqual([
      'queued',
      'queued',
      'queued',
    ]);
    expect(new Set(reply.body.runs.map((run) => run.mailboxId))).toEqual(
      new Set(mailboxIds.values()),
    );
    const runs = await Promise.all(
      reply.body.runs.map((run) => waitForRun<Run>(runtime.apiUrl, run.runId)),
    );
    for (const run of runs) {
      expect(run.status).toBe('succeeded');
      expect(run.trigger).toBe('on-demand');
      expect(run.counts.created).toBe(MESSAGES_PER_MAILBOX);
    }
    for (const user of USERS) {
      expect(await dovecot.countMessages(user)).toBe(0);
    }
  }, 120_000);

  it('leaves out a disabled mailbox', async () => {
    const billing = mailboxIds.get('billing') ?? '';
    const patched = await callApi(
      runtime.apiUrl,
      'PATCH',
      `/mailboxes/${billing}`,
      { enabled: false },
    );
    expect(patched.status).toBe(200);

    const reply = await callApi<{ runs: { mailboxId: string }[] }>(
      runtime.apiUrl,
      'POST',
      '/runs',
    );

    expect(reply.status).toBe(202);
    expect(reply.body.runs.map((run) => run.mailboxId)).not.toContain(billing);
    expect(reply.body.runs).toHaveLength(2);
  });
});
