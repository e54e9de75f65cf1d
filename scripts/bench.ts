/**
 * `npm run bench`: the speed and memory figures of issue #6, measured on
 * 127.0.0.1 only. Starts a private Dovecot, times the full pipeline, mpop
 * and fetchmail emptying the same mailbox on loopback and through a 10 ms
 * RTT proxy, then the peak RSS of one large message, the scheduled fan-out
 * and the bundles. Prints a table and writes `bench-results/latest.json`.
 * Stops by itself, after at most `--time-limit` seconds, and ends only the
 * processes it started.
 */
import { constants } from 'node:fs';
import { access, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type DovecotServer, startDovecot } from '../test/support/dovecot.js';
import { measureBundles } from './bench/bundles.js';
import {
  accountFor,
  CLIENTS,
  compareRetrieval,
  type Network,
} from './bench/comparison.js';
import { measureFanOut } from './bench/fan-out.js';
import { probeRoundTripMs, startLatencyProxy } from './bench/latency-proxy.js';
import { describeMachine } from './bench/machine.js';
import {
  type BenchOptions,
  FAN_OUT_MAILBOXES,
  LARGE_MESSAGE_BYTES,
  parseBenchOptions,
  USAGE,
} from './bench/options.js';
import { measurePeakRss } from './bench/peak-rss.js';
import { killRunningTools } from './bench/processes.js';
import {
  type BenchRow,
  evaluateRow,
  formatNotes,
  formatTable,
} from './bench/report.js';
import { bundleRows, fanOutRow, peakRssRow } from './bench/rows.js';
import { stopRuntimeChildren } from './bench/runtime.js';
import { buildMailboxSeed } from './bench/seed.js';

const PROJECT_DIR = fileURLToPath(new URL('../', import.meta.url));
const RESULTS_DIR = path.join(PROJECT_DIR, 'bench-results');
const RESULTS_FILE = path.join(RESULTS_DIR, 'latest.json');
const SHARED_MEMORY_DIR = '/dev/shm';

/** One-way delay of the proxy: 10 ms round trip, as in the issue. */
const PROXY_DELAY_MS = 5;
/** The Invoke stand-in's answer time (issue #6). */
const INVOKE_DELAY_MS = 20;
/** Longest one client or measurement may run, within the overall limit. */
const STEP_LIMIT_MS = 10 * 60_000;
/** Time kept back from the overall limit for stopping and reporting. */
const CLEANUP_MARGIN_MS = 30_000;
const PASSWORD = 'bench-Pa55word';
const RSS_ACCOUNT = 'rss';
const NETWORKS: readonly (Network & { delayMs: number })[] = [
  { id: 'loopback', label: 'loopback', maxRatioToMpop: 2, delayMs: 0 },
  {
    id: 'rtt10',
    label: '10 ms RTT',
    maxRatioToMpop: 1,
    delayMs: PROXY_DELAY_MS,
  },
];

/** Everything started that must be stopped, newest first. */
const running: Array<() => Promise<void>> = [];
const rows: BenchRow[] = [];
const details: Record<string, unknown> = {};
const startedAt = new Date();

function log(line: string): void {
  const elapsed = ((Date.now() - startedAt.getTime()) / 1000).toFixed(1);
  console.log(`[${elapsed.padStart(6)} s] ${line}`);
}

function loadAverage(): string {
  return os
    .loadavg()
    .map((load) => load.toFixed(2))
    .join(' ');
}

async function track<T>(start: Promise<T>, stop: (it: T) => Promise<void>) {
  const started = await start;
  running.unshift(() => stop(started));

  return started;
}

async function stopAll(): Promise<void> {
  killRunningTools();
  await stopRuntimeChildren();
  while (running.length > 0) {
    await (running.shift() as () => Promise<void>)().catch((error: unknown) =>
      log(`stopping failed: ${(error as Error).message}`),
    );
  }
}

async function measure(name: string, work: () => Promise<void>) {
  log(`${name} (load ${loadAverage()})`);
  try {
    await work();
  } catch (error) {
    log(`${name} failed: ${(error as Error).stack}`);
    details[`${name} error`] = (error as Error).message;
  }
}

/**
 * Where clients and runtimes keep their files: tmpfs when there is one, so
 * the disk stays out of the comparison (mpop syncs every message it
 * delivers to disk; the runtime's stand-ins write their data as files).
 */
async function scratchBase(): Promise<string> {
  return access(SHARED_MEMORY_DIR, constants.W_OK).then(
    () => SHARED_MEMORY_DIR,
    () => os.tmpdir(),
  );
}

async function runAll(options: BenchOptions, deadline: number): Promise<void> {
  const stepTimeoutMs = () =>
    Math.max(1000, Math.min(STEP_LIMIT_MS, deadline - Date.now()));
  const scratch = await scratchBase();
  details.scratchDir = scratch;
  const workDir = await track(
    mkdtemp(path.join(scratch, 'techmail-bench-')),
    (dir) => rm(dir, { recursive: true, force: true, maxRetries: 3 }),
  );
  const profileDir = options.profile
    ? path.join(RESULTS_DIR, 'profiles')
    : undefined;
  if (profileDir) await mkdir(profileDir, { recursive: true });
  const users = NETWORKS.flatMap((network) =>
    CLIENTS.map((client) => accountFor(client, network)),
  ).concat(RSS_ACCOUNT);
  const dovecot: DovecotServer = await track(
    startDovecot({
      users: users.map((user) => ({ user, password: PASSWORD })),
    }),
    (server) => server.stop(),
  );
  const seed = buildMailboxSeed(options.messages);
  details.seed = { ...seed, messages: undefined };
  log(
    `seed: ${seed.generated} generated + ${seed.fromCorpus} corpus messages, ${(seed.totalBytes / 1e6).toFixed(1)} MB`,
  );
  const context = {
    dovecot,
    password: PASSWORD,
    seed,
    projectDir: PROJECT_DIR,
    workDir,
    profileDir,
    stepTimeoutMs,
    log,
  };

  for (const network of NETWORKS) {
    await measure(`retrieval, ${network.label}`, async () => {
      const proxy = network.delayMs
        ? await track(
            startLatencyProxy({
              targetPort: dovecot.pop3sPort,
              delayMs: network.delayMs,
            }),
            (started) => started.stop(),
          )
        : undefined;
      if (network.delayMs) {
        details.proxyRoundTripMs = await probeRoundTripMs(network.delayMs, 20);
      }
      const result = await compareRetrieval(
        context,
        network,
        proxy?.port ?? dovecot.pop3sPort,
      );
      rows.push(...result.rows);
      details[`retrieval ${network.id}`] = result.details;
      if (result.profile) details[`profile ${network.id}`] = result.profile;
    });
  }

  await measure('peak RSS', async () => {
    const peak = await measurePeakRss(
      {
        port: dovecot.pop3sPort,
        user: RSS_ACCOUNT,
        password: PASSWORD,
        caPath: dovecot.caPath,
      },
      {
        dovecot,
        workDir,
        messageBytes: LARGE_MESSAGE_BYTES,
        timeoutMs: stepTimeoutMs(),
      },
    );
    details.peakRss = peak;
    rows.push(peakRssRow(peak));
  });

  await measure('fan-out', async () => {
    const fanOut = await measureFanOut(FAN_OUT_MAILBOXES, INVOKE_DELAY_MS);
    details.fanOut = fanOut;
    rows.push(fanOutRow(fanOut, FAN_OUT_MAILBOXES, INVOKE_DELAY_MS));
  });

  await measure('bundles', async () => {
    const bundles = await measureBundles(
      PROJECT_DIR,
      path.join(RESULTS_DIR, 'bundles'),
      options.importRuns,
    );
    details.bundles = bundles;
    rows.push(...bundleRows(bundles, options.importRuns));
  });
}

async function writeReport(options: BenchOptions, aborted?: string) {
  const evaluated = rows.map(evaluateRow);
  const finishedAt = new Date();
  const report = {
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    durationSeconds: (finishedAt.getTime() - startedAt.getTime()) / 1000,
    aborted,
    options,
    machine: await describeMachine(PROJECT_DIR),
    rows: evaluated,
    details,
  };
  await mkdir(RESULTS_DIR, { recursive: true });
  await writeFile(RESULTS_FILE, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`\n${formatTable(evaluated)}\n`);
  const notes = formatNotes(evaluated);
  if (notes) console.log(`${notes}\n`);
  console.log(
    `load average at end: ${loadAverage()} (${os.cpus().length} CPUs); ${report.durationSeconds.toFixed(0)} s in all; written to ${path.relative(PROJECT_DIR, RESULTS_FILE)}`,
  );
}

async function main(): Promise<number> {
  let options: BenchOptions;
  try {
    options = parseBenchOptions(process.argv.slice(2));
  } catch (error) {
    console.error((error as Error).message);
    return 2;
  }
  if (options.help) {
    console.log(USAGE);
    return 0;
  }
  const limitMs = options.timeLimitS * 1000;
  log(
    `bench: ${options.messages} generated messages${options.quick ? ' (quick)' : ''}, limit ${options.timeLimitS} s, load ${loadAverage()}`,
  );
  let timer: NodeJS.Timeout | undefined;
  const timeLimit = new Promise<string>((resolve) => {
    timer = setTimeout(
      () => resolve(`time limit of ${options.timeLimitS} s reached`),
      limitMs,
    );
  });
  const work = runAll(options, Date.now() + limitMs - CLEANUP_MARGIN_MS).then(
    () => undefined,
    (error: unknown) => `set-up failed: ${(error as Error).stack}`,
  );
  const aborted = await Promise.race([work, timeLimit]);
  clearTimeout(timer);
  if (aborted) log(aborted);
  await stopAll();
  await writeReport(options, aborted);

  return aborted ? 1 : 0;
}

// process.exit: after a time limit, abandoned work may still hold timers.
main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    void stopAll().finally(() => process.exit(1));
  },
);
