import { mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import {
  emptyCounts,
  type Run,
  type RunCounts,
} from '../../functions/model.js';
import type { DovecotServer } from '../../test/support/dovecot.js';
import { callApi, waitForRun } from '../../test/support/runtime-process.js';
import { readCpuSeconds } from './processes.js';
import {
  LOOPBACK,
  type PopTarget,
  type Retrieval,
  type RetrievalOptions,
} from './retrieval.js';
import { startRuntimeChild } from './runtime.js';

/** How often the Maildir is checked for being empty: the timing resolution. */
const EMPTY_POLL_MS = 20;

/**
 * How often a run is asked for while the mailbox still holds mail. A run
 * in progress answers 409 (a failed lease write), so asking is cheap.
 */
const RUN_REQUEST_INTERVAL_MS = 500;

/** A local runtime started for one measurement, with its own data dir. */
export interface BenchRuntime {
  readonly apiUrl: string;
  /** PID of the runtime's process (for /proc and the profile's name). */
  readonly pid: number;
  /** Stops the runtime and removes its data dir. */
  stop(): Promise<void>;
}

/**
 * Starts the local runtime (`npm start`'s code) in a child process with a
 * fresh data directory and the bench CA trusted.
 *
 * @param caPath the CA file Dovecot's certificate is signed by
 * @param options work directory; profile directory for `--cpu-prof`
 * @returns the runtime's URL, PID and `stop()`
 */
export async function startBenchRuntime(
  caPath: string,
  options: { workDir: string; profileDir?: string },
): Promise<BenchRuntime> {
  const dataDir = await mkdtemp(path.join(options.workDir, 'runtime-'));
  const runtime = await startRuntimeChild({
    env: { TECHMAIL_DATA_DIR: dataDir, NODE_EXTRA_CA_CERTS: caPath },
    profileDir: options.profileDir,
  });

  return {
    ...runtime,
    stop: async () => {
      await runtime.stop();
      await rm(dataDir, { recursive: true, force: true, maxRetries: 3 });
    },
  };
}

/**
 * Adds the account as a mailbox through the API (`POST /mailboxes`).
 *
 * @param apiUrl the runtime's URL
 * @param target the account and port
 * @param maxMessageBytes the mailbox's size limit, when not the default
 * @returns the mailbox id
 */
export async function createMailbox(
  apiUrl: string,
  target: PopTarget,
  maxMessageBytes?: number,
): Promise<string> {
  const reply = await callApi<{ id: string }>(apiUrl, 'POST', '/mailboxes', {
    name: `Bench ${target.user}`,
    popServer: LOOPBACK,
    popPort: target.port,
    popAccount: target.user,
    password: target.password,
    maxMessageBytes,
  });
  if (reply.status !== 201) {
    throw new Error(
      `POST /mailboxes answered ${reply.status}: ${JSON.stringify(reply.body)}`,
    );
  }

  return reply.body.id;
}

/** Options of {@link drainMailbox}. */
export interface DrainOptions {
  /** Counts the messages left on the server. */
  countMessages(): Promise<number>;
  /** Monotonic milliseconds (`performance.now()`) to give up at. */
  readonly deadline: number;
  /** Called on every poll, e.g. to sample memory. */
  onPoll?(): Promise<void>;
}

/**
 * Asks for runs (`POST /mailboxes/{id}/runs`) until the server's mailbox is
 * empty: one at first, another whenever the last one ended with mail left.
 *
 * @param apiUrl the runtime's URL
 * @param mailboxId the mailbox
 * @param options how to see the mailbox, the deadline, a poll hook
 * @returns the ids of the runs it queued, in order
 * @throws Error when a run fails or the deadline passes
 */
export async function drainMailbox(
  apiUrl: string,
  mailboxId: string,
  options: DrainOptions,
): Promise<string[]> {
  const runIds: string[] = [];
  let nextRequestAt = 0;
  while ((await options.countMessages()) > 0) {
    await options.onPoll?.();
    const now = performance.now();
    if (now > options.deadline) {
      throw new Error(
        `mailbox not empty by the deadline (${runIds.length} runs queued)`,
      );
    }
    if (now >= nextRequestAt) {
      const queued = await requestRun(apiUrl, mailboxId);
      if (queued) {
        await assertNotFailed(apiUrl, runIds.at(-1));
        runIds.push(queued);
      }
      nextRequestAt = now + RUN_REQUEST_INTERVAL_MS;
    }
    await new Promise((resolve) => setTimeout(resolve, EMPTY_POLL_MS));
  }

  return runIds;
}

async function requestRun(
  apiUrl: string,
  mailboxId: string,
): Promise<string | undefined> {
  const reply = await callApi<{ runId: string }>(
    apiUrl,
    'POST',
    `/mailboxes/${mailboxId}/runs`,
  );
  if (reply.status === 202) return reply.body.runId;
  if (reply.status === 409) return undefined;

  throw new Error(
    `POST /mailboxes/${mailboxId}/runs answered ${reply.status}: ${JSON.stringify(reply.body)}`,
  );
}

async function assertNotFailed(apiUrl: string, runId: string | undefined) {
  if (runId === undefined) return;
  const run = await waitForRun<Run>(apiUrl, runId, 30_000);
  if (run.status === 'failed') {
    throw new Error(`run ${runId} failed: ${JSON.stringify(run.error)}`);
  }
}

/** The pipeline's retrieval, with the window a CPU profile is cut to. */
export interface PipelineRetrieval extends Retrieval {
  /** Monotonic microseconds from the first run request to an empty mailbox. */
  readonly windowUs: { readonly fromUs: number; readonly toUs: number };
  /** PID of the runtime, which names its `--cpu-prof` file. */
  readonly pid: number;
}

/**
 * Empties the account with the project's full pipeline: the local runtime
 * in a child process (API, on-demand dispatch, local Lambda, techmail run,
 * dynalite, S3 and Secrets Manager stand-ins). Timed from the first
 * `POST /mailboxes/{id}/runs` until Dovecot's Maildir is empty.
 *
 * @param target the account and port
 * @param options work and profile directories, limit, and the server
 * @returns the wall time, the messages the runs saw and their outcomes
 */
export async function retrieveWithPipeline(
  target: PopTarget,
  options: RetrievalOptions & { dovecot: DovecotServer; profileDir?: string },
): Promise<PipelineRetrieval> {
  const runtime = await startBenchRuntime(target.caPath, options);
  try {
    const mailboxId = await createMailbox(runtime.apiUrl, target);
    const cpuBefore = readCpuSeconds(runtime.pid);
    const fromUs = process.hrtime.bigint() / 1000n;
    const runIds = await drainMailbox(runtime.apiUrl, mailboxId, {
      countMessages: () => options.dovecot.countMessages(target.user),
      deadline: performance.now() + options.timeoutMs,
    });
    const toUs = process.hrtime.bigint() / 1000n;
    const cpuSeconds = readCpuSeconds(runtime.pid) - cpuBefore;
    const runs = await Promise.all(
      runIds.map((runId) => waitForRun<Run>(runtime.apiUrl, runId, 60_000)),
    );
    const counts = sumCounts(runs);

    return {
      seconds: Number(toUs - fromUs) / 1e6,
      cpuSeconds,
      retrieved: counts.seen,
      windowUs: { fromUs: Number(fromUs), toUs: Number(toUs) },
      pid: runtime.pid,
      details: {
        runs: runs.map(describeRun),
        counts,
      },
    };
  } finally {
    await runtime.stop();
  }
}

function sumCounts(runs: readonly Run[]): RunCounts {
  const total = emptyCounts();
  for (const run of runs) {
    for (const key of Object.keys(total) as (keyof RunCounts)[]) {
      total[key] += run.counts[key];
    }
  }

  return total;
}

function describeRun(run: Run) {
  const runSeconds =
    run.startedAt && run.finishedAt
      ? (Date.parse(run.finishedAt) - Date.parse(run.startedAt)) / 1000
      : null;

  return {
    runId: run.runId,
    status: run.status,
    queuedAt: run.queuedAt,
    startedAt: run.startedAt,
    finishedAt: run.finishedAt,
    runSeconds,
    counts: run.counts,
    error: run.error,
  };
}
