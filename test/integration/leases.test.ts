import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { logger } from '../../functions/commons/powertools/logger.js';
import type { Incident, Run, ThreadEntry } from '../../functions/model.js';
import { Pop3Session } from '../../functions/pop3/pop3-session.js';
import { dispatchRun } from '../../functions/runs/dispatch-runs.js';
import { Pop3MailSource } from '../../functions/techmail/pop3-mail-source.js';
import type { RunRequest } from '../../functions/techmail/run-mailbox.js';
import { runMailbox } from '../../functions/techmail/run-mailbox.js';
import { localRuntimeLogger } from '../../lib/local/http-support.js';
import { generateChaosMail } from '../support/chaos/chaos-mail.js';
import {
  type ChaosWorld,
  startChaosWorld,
} from '../support/chaos/chaos-world.js';
import { SeededRandom } from '../support/chaos/random.js';
import { type FaultProxy, startFaultProxy } from '../support/fault-proxy.js';
import {
  callApi,
  type RuntimeProcess,
  startRuntimeProcess,
  waitForRun,
} from '../support/runtime-process.js';

/** About 250 KB/s, for the crash test: its run lasts a few seconds. */
const TRICKLE = { chunkBytes: 512, delayMs: 2 } as const;

/**
 * About 100 KB/s, for the renewal test: each of its 300 KB messages takes
 * about three seconds, twice the lease.
 */
const SLOW_TRICKLE = { chunkBytes: 256, delayMs: 2 } as const;

/** A message with a 300 KB attachment. */
function largeMessage(n: number): Buffer {
  const attachment = Buffer.alloc(300 * 1024, n)
    .toString('base64')
    .replace(/.{76}/g, '$&\r\n');

  return Buffer.from(
    [
      `From: Customer <c${n}@customer.example>`,
      'To: support@helpdesk.example',
      `Subject: Large message ${n}`,
      `Message-ID: <large-${n}@customer.example>`,
      'MIME-Version: 1.0',
      'Content-Type: multipart/mixed; boundary="b"',
      '',
      '--b',
      'Content-Type: text/plain',
      '',
      `large message ${n}`,
      '--b',
      'Content-Type: application/octet-stream',
      'Content-Transfer-Encoding: base64',
      '',
      attachment,
      '--b--',
      '',
    ].join('\r\n'),
  );
}

type IncidentWithEntries = Incident & { entries: ThreadEntry[] };

describe('mailbox leases', () => {
  let world: ChaosWorld;

  beforeAll(async () => {
    logger.setLogLevel('SILENT');
    localRuntimeLogger.setLogLevel('SILENT');
    world = await startChaosWorld(2);
  });

  afterAll(async () => {
    await world?.stop();
  });

  it('renews the lease while a run outlasts it, so no second run can take the mailbox', async () => {
    const leaseTtlMs = 1_500;
    const proxy = await startFaultProxy({
      targetPort: world.dovecot.pop3sPort,
    });
    try {
      proxy.plan([{ trickle: SLOW_TRICKLE }]);
      const mailbox = await world.addMailbox(0, proxy.port, false);
      await world.dovecot.deliver(
        world.account(0).user,
        [1, 2, 3].map(largeMessage),
      );
      const request = await queue(world, mailbox.id, leaseTtlMs);
      const seen: { at: number; holder?: string; rival: boolean }[] = [];
      let done = false;
      const watcher = (async () => {
        while (!done) {
          const holder = await world.stores.leases.holder(
            mailbox.id,
            new Date(),
          );
          const rival = await world.stores.leases.acquire(
            mailbox.id,
            'rival-run',
            leaseTtlMs,
            new Date(),
          );
          // Both answers were given by now: before the run ended, if this is.
          const at = Date.now();
          if (rival.acquired) {
            await world.stores.leases.release(mailbox.id, 'rival-run');
          }
          seen.push({ at, holder, rival: rival.acquired });
          await sleep(50);
        }
      })();

      const started = Date.now();
      const { run } = await runMailbox(request, {
        ...world.stores,
        // A reply may take longer than the chaos deadline here.
        connect: (mailbox, password) =>
          Pop3Session.connect({
            host: mailbox.popServer,
            port: mailbox.popPort,
            username: mailbox.popAccount,
            password,
            tls: { ca: world.dovecot.caPem },
            commandTimeoutMs: 30_000,
          }).then((session) => new Pop3MailSource(session)),
        remainingTimeMs: () => 600_000,
        leaseTtlMs,
        now: () => new Date(),
      });
      done = true;
      await watcher;

      expect(run.status).toBe('succeeded');
      expect(Date.now() - started).toBeGreaterThan(3 * leaseTtlMs);
      // Until the run finished; it gives the lease back just after.
      const during = seen.filter(
        (look) => look.at < Date.parse(run.finishedAt ?? ''),
      );
      expect(during.length).toBeGreaterThan(20);
      expect(new Set(during.map((look) => look.holder))).toEqual(
        new Set([request.runId]),
      );
      expect(during.filter((look) => look.rival)).toEqual([]);
      expect(await world.stores.leases.holder(mailbox.id, new Date())).toBe(
        undefined,
      );
    } finally {
      await proxy.close();
    }
  }, 60_000);
});

describe('a techmail process killed mid-run (TECHMAIL_LEASE_SECONDS=4)', () => {
  const LEASE_SECONDS = 4;
  let world: ChaosWorld;
  let proxy: FaultProxy;
  let dataDir: string;
  let runtime: RuntimeProcess | undefined;

  beforeAll(async () => {
    world = await startChaosWorld(2);
    proxy = await startFaultProxy({ targetPort: world.dovecot.pop3sPort });
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'techmail-crash-'));
  });

  afterAll(async () => {
    await runtime?.stop();
    await proxy?.close();
    await world?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  function start(): Promise<RuntimeProcess> {
    return startRuntimeProcess({
      TECHMAIL_DATA_DIR: dataDir,
      TECHMAIL_LEASE_SECONDS: String(LEASE_SECONDS),
      NODE_EXTRA_CA_CERTS: world.dovecot.caPath,
    });
  }

  async function incidentsOf(
    apiUrl: string,
    mailboxId: string,
  ): Promise<IncidentWithEntries[]> {
    const listed = await callApi<{ items: Incident[] }>(
      apiUrl,
      'GET',
      `/incidents?mailboxId=${mailboxId}&limit=100`,
    );

    return Promise.all(
      listed.body.items.map(
        async (incident) =>
          (
            await callApi<IncidentWithEntries>(
              apiUrl,
              'GET',
              `/incidents/${incident.referenceNumber}`,
            )
          ).body,
      ),
    );
  }

  it('frees the mailbox once the lease expires, fails the dead run, and the next run takes every message exactly once', async () => {
    const { user, password } = world.account(1);
    // Kinds that always become a thread entry carrying the marker.
    const mail = generateChaosMail(new SeededRandom(2), 'crash', 12).filter(
      (m) => m.kind !== 'unparseable' && m.kind !== 'auto-reply',
    );
    await world.dovecot.deliver(
      user,
      mail.map((m) => m.raw),
    );
    proxy.plan([{ trickle: TRICKLE }]);
    const first = await start();
    runtime = first;
    const created = await callApi<{ id: string }>(
      first.apiUrl,
      'POST',
      '/mailboxes',
      {
        name: 'Crash',
        popServer: world.dovecot.host,
        popPort: proxy.port,
        popAccount: user,
        password,
      },
    );
    const mailboxId = created.body.id;
    const queued = await callApi<{ runId: string }>(
      first.apiUrl,
      'POST',
      `/mailboxes/${mailboxId}/runs`,
    );
    const crashedRunId = queued.body.runId;
    for (let poll = 0; poll < 300; poll += 1) {
      if ((await incidentsOf(first.apiUrl, mailboxId)).length > 0) break;
      await sleep(50);
    }

    await first.kill();
    const killedAt = Date.now();
    const second = await start();
    runtime = second;
    let retry = await callApi<{ runId: string }>(
      second.apiUrl,
      'POST',
      `/mailboxes/${mailboxId}/runs`,
    );
    const whileHeld = retry;
    for (let poll = 0; retry.status === 409 && poll < 200; poll += 1) {
      await sleep(100);
      retry = await callApi<{ runId: string }>(
        second.apiUrl,
        'POST',
        `/mailboxes/${mailboxId}/runs`,
      );
    }
    const freedAfterMs = Date.now() - killedAt;
    const recovery = await waitForRun<Run>(
      second.apiUrl,
      retry.body.runId,
      60_000,
    );

    if (whileHeld.status === 409) {
      expect(whileHeld.body).toMatchObject({ error: { runId: crashedRunId } });
    }
    expect(retry.status).toBe(202);
    expect(freedAfterMs).toBeLessThan((LEASE_SECONDS + 3) * 1000);
    expect(recovery.status).toBe('succeeded');
    const crashed = await callApi<Run>(
      second.apiUrl,
      'GET',
      `/runs/${crashedRunId}`,
    );
    expect(crashed.body).toMatchObject({
      status: 'failed',
      error: { code: 'RunAbandoned' },
    });
    expect(await world.dovecot.countMessages(user)).toBe(0);
    const texts = (await incidentsOf(second.apiUrl, mailboxId)).flatMap(
      (incident) => incident.entries.map((entry) => entry.text),
    );
    for (const message of mail) {
      const copies = texts.filter((text) => text.includes(message.marker));
      expect(copies, message.marker).toHaveLength(1);
    }
  }, 120_000);
});

async function queue(
  world: ChaosWorld,
  mailboxId: string,
  leaseTtlMs: number,
): Promise<RunRequest> {
  const queued: RunRequest[] = [];
  await dispatchRun(mailboxId, 'on-demand', {
    runs: world.stores.runs,
    leases: world.stores.leases,
    invoke: async (request) => {
      queued.push(request);
    },
    leaseTtlMs,
    now: () => new Date(),
  });

  return queued[0] as RunRequest;
}
