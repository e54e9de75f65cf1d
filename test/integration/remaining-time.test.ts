import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Logger } from '@aws-lambda-powertools/logger';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Incident, Mailbox, Run } from '../../functions/model.js';
import { RUN_SAFETY_MARGIN_MS } from '../../functions/techmail/take-messages.js';
import {
  type LocalRuntime,
  startLocalRuntime,
} from '../../lib/local/local-runtime.js';
import { type DovecotServer, startDovecot } from '../support/dovecot.js';
import { type FaultProxy, startFaultProxy } from '../support/fault-proxy.js';
import { composeMail } from '../support/mail.js';
import { callApi, waitForRun } from '../support/runtime-process.js';

const PASSWORD = 'remaining-Pa55';
const MESSAGES = 12;

/**
 * The local Lambda's timeout: its context counts down from here, so a run
 * has about one second before less than RUN_SAFETY_MARGIN_MS remains.
 */
const FUNCTION_TIMEOUT_MS = RUN_SAFETY_MARGIN_MS + 1_000;

describe('a run that runs short of invocation time (Lambda context of the local runtime)', () => {
  let dovecot: DovecotServer;
  let proxy: FaultProxy;
  let runtime: LocalRuntime;
  let dataDir: string;

  beforeAll(async () => {
    dovecot = await startDovecot({
      users: [{ user: 'slow', password: PASSWORD }],
    });
    // Each message takes about a quarter of a second to come in.
    proxy = await startFaultProxy({ targetPort: dovecot.pop3Port });
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'techmail-remaining-'));
    vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'SILENT');
    vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'true');
    runtime = await startLocalRuntime({
      dataDir,
      port: 0,
      schedule: false,
      lambda: { timeoutMs: FUNCTION_TIMEOUT_MS },
      logger: new Logger({ logLevel: 'SILENT' }),
    });
  });

  afterAll(async () => {
    await runtime?.stop();
    vi.unstubAllEnvs();
    await proxy?.close();
    await dovecot?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('stops taking messages under the margin, records what it did, and continuation runs take the rest exactly once', async () => {
    await dovecot.deliver(
      'slow',
      Array.from({ length: MESSAGES }, (_, n) =>
        composeMail({
          messageId: `<slow-${n}@customer.example>`,
          subject: `Slow message ${n}`,
          body: `slow-marker-${n} ${'padding '.repeat(1000)}`,
        }),
      ),
    );
    proxy.plan(
      Array.from({ length: MESSAGES }, () => ({
        trickle: { chunkBytes: 512, delayMs: 10 },
      })),
    );
    const created = await callApi<{ id: string }>(
      runtime.apiUrl,
      'POST',
      '/mailboxes',
      {
        name: 'Slow',
        popServer: dovecot.host,
        popPort: proxy.port,
        security: 'none',
        popAccount: 'slow',
        password: PASSWORD,
      },
    );
    const mailboxId = created.body.id;
    const queued = await callApi<{ runId: string }>(
      runtime.apiUrl,
      'POST',
      `/mailboxes/${mailboxId}/runs`,
    );

    const first = await waitForRun<Run>(runtime.apiUrl, queued.body.runId);
    for (let poll = 0; poll < 600; poll += 1) {
      if ((await dovecot.countMessages('slow')) === 0) break;
      await sleep(100);
    }
    await runtime.settled();

    expect(first.status).toBe('succeeded');
    expect(first.counts.seen).toBeGreaterThan(0);
    expect(first.counts.seen).toBeLessThan(MESSAGES);
    expect(first.messages).toHaveLength(first.counts.seen);
    expect(await dovecot.countMessages('slow')).toBe(0);
    const mailbox = await callApi<Mailbox>(
      runtime.apiUrl,
      'GET',
      `/mailboxes/${mailboxId}`,
    );
    expect(mailbox.body.lastRun?.runId).not.toBe(first.runId);
    const listed = await callApi<{ items: Incident[] }>(
      runtime.apiUrl,
      'GET',
      `/incidents?mailboxId=${mailboxId}&limit=100`,
    );
    const subjects = listed.body.items.map((incident) => incident.subject);
    expect(subjects.sort()).toEqual(
      Array.from({ length: MESSAGES }, (_, n) => `Slow message ${n}`).sort(),
    );
  }, 120_000);
});
