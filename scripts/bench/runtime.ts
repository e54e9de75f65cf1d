import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { waitForStartup } from '../../test/support/runtime-process.js';

const PROJECT_DIR = fileURLToPath(new URL('../../', import.meta.url));

/** Longest a stopping runtime may take before it is killed. */
const STOP_TIMEOUT_MS = 15_000;

/** Output lines kept for error messages; a run logs a line per message. */
const KEPT_LINES = 40;

/** Stops of the runtimes running now, for {@link stopRuntimeChildren}. */
const liveStops = new Set<() => Promise<void>>();

/** A local runtime child process started by the bench. */
export interface RuntimeChild {
  /** `http://127.0.0.1:<port>` from the startup line. */
  readonly apiUrl: string;
  readonly pid: number;
  /** SIGTERM by PID, SIGKILL if it has not exited in time; waits for exit. */
  stop(): Promise<void>;
}

/** Options of {@link startRuntimeChild}. */
export interface RuntimeChildOptions {
  /** Variables added to this process's environment. */
  readonly env: Readonly<Record<string, string>>;
  /**
   * Directory for a `--cpu-prof` profile, written when the process exits.
   * @default no profile
   */
  readonly profileDir?: string;
}

/**
 * Starts `bin/local.ts` as `npm start` does, with a free port and the
 * schedule off. It does what `test/support/runtime-process.ts` does and
 * adds what the bench needs: the PID (for /proc) and Node flags. Node 20
 * refuses `--cpu-prof` in NODE_OPTIONS, so the flag must be on the
 * command line of the process itself.
 *
 * @param options environment and profile directory
 * @returns the runtime's URL, PID and `stop()`
 * @throws Error with the runtime's last output when it does not start
 */
export async function startRuntimeChild(
  options: RuntimeChildOptions,
): Promise<RuntimeChild> {
  const profiling = options.profileDir
    ? ['--cpu-prof', `--cpu-prof-dir=${options.profileDir}`]
    : [];
  const child = spawn(
    process.execPath,
    [...profiling, '--import', 'tsx', 'bin/local.ts'],
    {
      cwd: PROJECT_DIR,
      env: {
        ...process.env,
        PORT: '0',
        TECHMAIL_SCHEDULE: 'off',
        ...options.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', () => resolve());
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error('the local runtime did not spawn');
  const stop = async (): Promise<void> => {
    await stopChild(child, pid, exited);
    liveStops.delete(stop);
  };
  liveStops.add(stop);
  try {
    const apiUrl = await waitForStartup(child, exited, [], KEPT_LINES);
    return { apiUrl, pid, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * Stops every runtime this module started that is still running, e.g.
 * when the bench's time limit cuts a measurement short.
 *
 * @returns once they have exited
 */
export async function stopRuntimeChildren(): Promise<void> {
  await Promise.all([...liveStops].map((stop) => stop()));
}

async function stopChild(
  child: ChildProcess,
  pid: number,
  exited: Promise<void>,
): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  process.kill(pid, 'SIGTERM');
  const timer = setTimeout(() => {
    if (child.exitCode === null) process.kill(pid, 'SIGKILL');
  }, STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}
