import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Logger } from '@aws-lambda-powertools/logger';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import {
  afterAll,
  afterEach,
  beforeAll,
  describe,
  expect,
  it,
  type MockInstance,
  vi,
} from 'vitest';
import type { Mailbox, Run } from '../../functions/model.js';
import {
  BACKOFF_AFTER_FAILURES,
  BACKOFF_PERIOD_MS,
} from '../../functions/techmail/mailbox-health.js';
import {
  type LocalRuntime,
  startLocalRuntime,
} from '../../lib/local/local-runtime.js';
import { type DovecotServer, startDovecot } from '../support/dovecot.js';
import { refuseInvalidTld } from '../support/invalid-tld-resolver.js';
import { callApi, waitForRun } from '../support/runtime-process.js';
import { SdkFaultInjector } from '../support/sdk-faults.js';

const PASSWORD = 'login-Pa55-first';
const ROTATED = 'login-Pa55-rotated';
/** A refused login answers after Dovecot's 0.5 s batching; a margin on top. */
const FAIL_FAST_MS = 5_000;

type MailboxView = Mailbox & { lastRun?: { runId: string } };

/** Every EMF document the process printed, parsed. */
function emfDocuments(lines: readonly string[]): Record<string, unknown>[] {
  return lines
    .filter((line) => line.includes('"_aws"'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('login failures through the local runtime and a real POP3 server', () => {
  let dovecot: DovecotServer;
  let runtime: LocalRuntime;
  let dataDir: string;
  let restoreDns: () => void;
  let stdout: MockInstance<typeof process.stdout.write>;
  const printed: string[] = [];
  const secretsCalls = new SdkFaultInjector();

  beforeAll(async () => {
    dovecot = await startDovecot({
      users: [
        { user: 'wrong', password: PASSWORD },
        { user: 'locked', password: PASSWORD, locked: true },
        { user: 'rotating', password: PASSWORD },
        { user: 'tls', password: PASSWORD },
        { user: 'backoff', password: PASSWORD },
      ],
    });
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'techmail-login-'));
    restoreDns = refuseInvalidTld();
    vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'SILENT');
    runtime = await startLocalRuntime({
      dataDir,
      port: 0,
      schedule: false,
      logger: new Logger({ logLevel: 'SILENT' }),
    });
    // The handlers run in this process and share this client.
    const { secretsManagerClient } = await import(
      '../../functions/commons/clients/secrets-manager.js'
    );
    secretsCalls.attach(secretsManagerClient, 'secretsmanager');
    stdout = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      printed.push(...String(chunk).split('\n').filter(Boolean));
      return true;
    });
  });

  afterEach(() => {
    secretsCalls.arm();
  });

  afterAll(async () => {
    stdout?.mockRestore();
    await runtime?.stop();
    restoreDns?.();
    vi.unstubAllEnvs();
    await dovecot?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  async function addMailbox(body: Record<string, unknown>): Promise<string> {
    const reply = await callApi<{ id: string }>(
      runtime.apiUrl,
      'POST',
      '/mailboxes',
      {
        name: `Mailbox ${String(body.popAccount)}`,
        popServer: dovecot.host,
        popPort: dovecot.pop3Port,
        security: 'none',
        password: PASSWORD,
        ...body,
      },
    );
    expect(reply.status).toBe(201);

    return reply.body.id;
  }

  async function run(mailboxId: string): Promise<Run> {
    const queued = await callApi<{ runId: string }>(
      runtime.apiUrl,
      'POST',
      `/mailboxes/${mailboxId}/runs`,
    );
    expect(queued.status).toBe(202);

    return waitForRun<Run>(runtime.apiUrl, queued.body.runId, 60_000);
  }

  async function mailbox(mailboxId: string): Promise<MailboxView> {
    return (
      await callApi<MailboxView>(
        runtime.apiUrl,
        'GET',
        `/mailboxes/${mailboxId}`,
      )
    ).body;
  }

  it.each([
    [
      'a wrong password',
      { popAccount: 'wrong', password: 'not-the-password' },
      'LoginRejected',
      'rejected the login',
    ],
    [
      'a locked account',
      { popAccount: 'locked' },
      'LoginRejected',
      'rejected the login',
    ],
    [
      'a certificate that does not verify',
      { popAccount: 'tls', security: 'tls', popPort: 0 },
      'TlsRejected',
      'certificate',
    ],
    [
      'an unknown host',
      { popAccount: 'nowhere', popServer: 'pop.techmail-test.invalid' },
      'ServerNotFound',
      'ENOTFOUND',
    ],
  ])(
    'fails fast on %s with a typed error on the run and the mailbox',
    async (_case, body, code, hint) => {
      const overrides = { ...body } as Record<string, unknown>;
      // This process does not trust the test CA: the certificate cannot verify.
      if (overrides.popPort === 0) overrides.popPort = dovecot.pop3sPort;
      const id = await addMailbox(overrides);
      const before = emfDocuments(printed).length;

      const failed = await run(id);
      // The metrics are flushed when the function returns, just after the
      // run record is final.
      await runtime.settled();

      expect(failed.status).toBe('failed');
      expect(failed.error?.code).toBe(code);
      expect(failed.error?.message).toContain(hint);
      const took =
        Date.parse(failed.finishedAt ?? '') -
        Date.parse(failed.startedAt ?? '');
      expect(took).toBeLessThan(FAIL_FAST_MS);
      expect(await mailbox(id)).toMatchObject({
        status: 'login-failed',
        lastError: failed.error?.message,
        consecutiveFailures: 1,
      });
      const metrics = emfDocuments(printed).slice(before);
      expect(metrics.map((doc) => doc.LoginFailures)).toContain(1);
    },
  );

  it('reads the password once more bypassing the cache after a rejection, and logs in with the rotated one', async () => {
    const id = await addMailbox({ popAccount: 'rotating' });
    expect((await run(id)).status).toBe('succeeded');
    await dovecot.setPassword('rotating', ROTATED);
    const patched = await callApi(runtime.apiUrl, 'PATCH', `/mailboxes/${id}`, {
      password: ROTATED,
    });
    expect(patched.status).toBe(200);
    secretsCalls.arm();

    const rotated = await run(id);

    expect(rotated.status).toBe('succeeded');
    const reads = secretsCalls.calls.filter(
      (call) => call.command === 'GetSecretValueCommand',
    );
    // The techmail function's cache still held the old password: one read
    // from the cache, then exactly one forced read.
    expect(reads).toHaveLength(1);
  });

  it('backs off after five failures in a row, and the first success clears it', async () => {
    const id = await addMailbox({ popAccount: 'backoff' });
    await dovecot.setLocked('backoff', true);
    let last: Run | undefined;
    for (let attempt = 1; attempt <= BACKOFF_AFTER_FAILURES; attempt += 1) {
      last = await run(id);
    }
    const backingOff = await mailbox(id);
    const retryAt = Date.parse(backingOff.backoffUntil ?? '');

    const fanOut = await invokeFanOut();
    await runtime.settled();

    expect(backingOff).toMatchObject({
      status: 'login-failed',
      consecutiveFailures: BACKOFF_AFTER_FAILURES,
    });
    // An hour from when the last failure was recorded, just after the run.
    const waits = retryAt - Date.parse(last?.finishedAt ?? '');
    expect(waits).toBeGreaterThanOrEqual(BACKOFF_PERIOD_MS);
    expect(waits).toBeLessThan(BACKOFF_PERIOD_MS + 5_000);
    expect(fanOut.failed).toBe(0);
    expect((await mailbox(id)).lastRun?.runId).toBe(last?.runId);

    await dovecot.setLocked('backoff', false);
    const recovered = await run(id);

    expect(recovered.status).toBe('succeeded');
    const cleared = await mailbox(id);
    expect(cleared).toMatchObject({ status: 'ok', consecutiveFailures: 0 });
    expect(cleared.backoffUntil).toBeUndefined();
    expect(cleared.lastError).toBeUndefined();
  });

  /** What the 15-minute schedule does: one fan-out, answered in-line. */
  async function invokeFanOut(): Promise<{ queued: number; failed: number }> {
    const lambda = new LambdaClient({
      endpoint: runtime.endpoints.lambda,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    try {
      const reply = await lambda.send(
        new InvokeCommand({ FunctionName: 'fan-out', Payload: '{}' }),
      );
      return JSON.parse(Buffer.from(reply.Payload ?? []).toString('utf8'));
    } finally {
      lambda.destroy();
    }
  }
});
