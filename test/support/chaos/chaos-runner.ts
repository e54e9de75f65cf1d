import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { dispatchRun } from '../../../functions/runs/dispatch-runs.js';
import type { RunRequest } from '../../../functions/techmail/run-mailbox.js';
import { runMailbox } from '../../../functions/techmail/run-mailbox.js';
import { type FaultProxy, startFaultProxy } from '../fault-proxy.js';
import { type CaseVerdict, judgeCase } from './chaos-oracle.js';
import { type ChaosCase, describeCase, type Fault } from './chaos-plan.js';
import { CHAOS_LEASE_TTL_MS, type ChaosWorld } from './chaos-world.js';
import type { CrashChildInput } from './crash-child.js';

const PROJECT_DIR = fileURLToPath(new URL('../../../', import.meta.url));
const CRASH_CHILD = fileURLToPath(new URL('./crash-child.ts', import.meta.url));

/** Lambda's async invocation: the first attempt plus two retries. */
const INVOKE_ATTEMPTS = 3;

/** Runs after the fault, at most, to empty the mailbox. */
const MAX_RECOVERY_RUNS = 6;

/** Waits for a busy mailbox's lease, at most, before a recovery run. */
const LEASE_WAIT_MS = CHAOS_LEASE_TTL_MS + 2_000;

/** Longest a crash child may live; it normally dies within seconds. */
const CHILD_TIMEOUT_MS = 60_000;

/** What became of one chaos case. */
export interface CaseReport {
  readonly index: number;
  readonly description: string;
  /**
   * The kinds of the faults that took effect, in order (a short run may
   * end before its fault's offset or call).
   */
  readonly triggered: string[];
  /** Status of each run, fault first, e.g. `failed,succeeded`. */
  readonly runs: string[];
  readonly verdict: CaseVerdict;
  readonly durationMs: number;
}

/**
 * Runs one case: delivers its mail, runs the mailbox once with the fault,
 * then runs it without faults until it is empty (bounded), and judges the
 * outcome with the exactly-once oracle.
 *
 * @param world the servers and stores
 * @param chaosCase the mail and the fault
 * @returns what happened and the verdict
 */
export async function runChaosCase(
  world: ChaosWorld,
  chaosCase: ChaosCase,
): Promise<CaseReport> {
  const started = Date.now();
  const { dovecot } = world;
  const proxy = await startFaultProxy({
    targetPort: chaosCase.plainText ? dovecot.pop3Port : dovecot.pop3sPort,
  });
  try {
    const mailbox = await world.addMailbox(
      chaosCase.index,
      proxy.port,
      chaosCase.plainText,
    );
    const { user } = world.account(chaosCase.index);
    await dovecot.deliver(
      user,
      chaosCase.messages.map((message) => message.raw),
    );
    const runs: string[] = [];
    const triggered: string[] = [];
    for (const fault of chaosCase.faults) {
      const faulty = await runWithFault(world, proxy, fault, mailbox.id);
      runs.push(faulty.status);
      if (faulty.triggered) triggered.push(fault.kind);
    }
    for (let attempt = 0; attempt < MAX_RECOVERY_RUNS; attempt += 1) {
      const status = await productRun(world, mailbox.id);
      runs.push(status);
      const empty = (await dovecot.countMessages(user)) === 0;
      if (status === 'succeeded' && empty) break;
    }
    const verdict = await judgeCase(
      world.stores,
      dovecot,
      { mailboxId: mailbox.id, user },
      chaosCase.messages,
    );

    return {
      index: chaosCase.index,
      description: describeCase(chaosCase),
      triggered,
      runs,
      verdict,
      durationMs: Date.now() - started,
    };
  } finally {
    await proxy.close();
  }
}

async function runWithFault(
  world: ChaosWorld,
  proxy: FaultProxy,
  fault: Fault,
  mailboxId: string,
): Promise<{ status: string; triggered: boolean }> {
  if (fault.kind === 'crash') {
    return crashRun(world, mailboxId, {
      action: fault.when,
      fromCall: fault.atCall,
    });
  }
  if ('connection' in fault) {
    const first = proxy.connections.length;
    proxy.plan([fault.connection]);
    const status = await productRun(world, mailboxId);
    proxy.plan([]);
    const connection = proxy.connections[first];
    return { status, triggered: connection?.triggered !== undefined };
  }
  world.faults.arm({
    action: 'fail',
    fromCall: fault.fromCall,
    count: fault.count,
    service: fault.service,
    errorName: fault.errorName,
  });
  try {
    const status = await productRun(world, mailboxId);
    return { status, triggered: world.faults.faulted.length > 0 };
  } finally {
    world.faults.disarm();
  }
}

/**
 * One run as production starts it: the dispatcher takes the lease and
 * queues the run, then the techmail function runs it, retried twice on an
 * error as Lambda retries an async invocation. A busy mailbox is waited
 * for first, up to about one lease.
 *
 * @returns the run's final status, or why there was none
 */
async function productRun(
  world: ChaosWorld,
  mailboxId: string,
): Promise<string> {
  const request = await dispatch(world, mailboxId);
  if (typeof request === 'string') return request;

  let status = 'dead-lettered';
  for (let attempt = 1; attempt <= INVOKE_ATTEMPTS; attempt += 1) {
    try {
      const { run } = await runMailbox(request, runDependencies(world));
      status = run.status;
      break;
    } catch {
      // Lambda retries the same event; the run id stays the same.
    }
  }

  return status;
}

async function dispatch(
  world: ChaosWorld,
  mailboxId: string,
): Promise<RunRequest | string> {
  const deadline = Date.now() + LEASE_WAIT_MS;
  for (;;) {
    const queued: RunRequest[] = [];
    try {
      const result = await dispatchRun(mailboxId, 'on-demand', {
        runs: world.stores.runs,
        leases: world.stores.leases,
        invoke: async (request) => {
          queued.push(request);
        },
        leaseTtlMs: CHAOS_LEASE_TTL_MS,
        now: () => new Date(),
      });
      if (result.status === 'queued' && queued[0]) return queued[0];
    } catch {
      return 'dispatch-failed';
    }
    if (Date.now() > deadline) return 'busy';
    await sleep(100);
  }
}

function runDependencies(world: ChaosWorld) {
  return {
    ...world.stores,
    connect: world.connect,
    remainingTimeMs: () => 600_000,
    leaseTtlMs: CHAOS_LEASE_TTL_MS,
    now: () => new Date(),
  };
}

/**
 * Queues a run, hands it to a child process that runs it and stops dead
 * at the chosen SDK call, and SIGKILLs that child (by its PID) there.
 */
async function crashRun(
  world: ChaosWorld,
  mailboxId: string,
  halt: CrashChildInput['halt'],
): Promise<{ status: string; triggered: boolean }> {
  const request = await dispatch(world, mailboxId);
  if (typeof request === 'string') return { status: request, triggered: false };
  const input: CrashChildInput = {
    endpoints: world.endpoints,
    request,
    caPath: world.dovecot.caPath,
    halt,
  };

  return runCrashChild(input);
}

/**
 * Starts the crash child and kills it when it halts (or after
 * CHILD_TIMEOUT_MS); resolves once it has exited.
 *
 * @param input what the child runs and where it halts
 * @returns `killed` when it was killed mid-run, else its run's status
 */
export function runCrashChild(
  input: CrashChildInput,
): Promise<{ status: string; triggered: boolean }> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', CRASH_CHILD, JSON.stringify(input)],
    {
      cwd: PROJECT_DIR,
      env: { ...process.env, POWERTOOLS_LOG_LEVEL: 'SILENT' },
      stdio: ['ignore', 'pipe', 'ignore'],
    },
  );
  let status = 'exited';
  let triggered = false;
  const kill = () => {
    if (child.pid !== undefined && child.exitCode === null) {
      process.kill(child.pid, 'SIGKILL');
    }
  };
  const timer = setTimeout(kill, CHILD_TIMEOUT_MS);
  let pending = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    pending += chunk;
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) {
      const event = readEvent(line);
      if (event.event === 'halted') {
        triggered = true;
        status = 'killed';
        kill();
      } else if (event.event === 'finished') {
        status = event.status ?? status;
      }
    }
  });

  return new Promise((resolve) => {
    child.once('exit', () => {
      clearTimeout(timer);
      resolve({ status, triggered });
    });
  });
}

function readEvent(line: string): { event?: string; status?: string } {
  try {
    return JSON.parse(line) as { event?: string; status?: string };
  } catch {
    return {};
  }
}
