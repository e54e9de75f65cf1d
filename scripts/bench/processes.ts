import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';

/** How a tool process ended and how long it took. */
export interface ToolExit {
  /** Exit code, or null when a signal ended it. */
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** Wall time from spawn to exit. */
  readonly seconds: number;
  /** User plus system CPU time the process used. */
  readonly cpuSeconds: number;
  readonly stdout: string;
  readonly stderr: string;
  /** True when the bench killed it for running past its limit. */
  readonly timedOut: boolean;
}

/** PIDs of tools running now, for {@link killRunningTools}. */
const runningPids = new Set<number>();

/** Output kept per stream; tools that print per message can say a lot. */
const MAX_OUTPUT_CHARS = 64 * 1024;

/**
 * Runs a program to completion, timing it from spawn to exit. Past the
 * limit the process is sent SIGKILL by its own PID.
 *
 * @param command the program
 * @param args its arguments
 * @param options environment and the limit in milliseconds
 * @returns its exit, timing and (truncated) output
 * @example
 * const exit = await runTool('mpop', ['-q', '-C', rcPath, 'bench'], { env, timeoutMs: 60_000 });
 */
export function runTool(
  command: string,
  args: readonly string[],
  options: { env: NodeJS.ProcessEnv; timeoutMs: number },
): Promise<ToolExit> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const cpuBefore = readReapedChildrenCpuSeconds();
    const child = spawn(command, args, {
      env: options.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout = (stdout + chunk).slice(-MAX_OUTPUT_CHARS);
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-MAX_OUTPUT_CHARS);
    });
    const pid = child.pid;
    if (pid !== undefined) runningPids.add(pid);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      if (pid !== undefined) process.kill(pid, 'SIGKILL');
    }, options.timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      if (pid !== undefined) runningPids.delete(pid);
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      // Only this child ends while it runs: the other children of the
      // bench (Dovecot's master, a runtime) outlive it.
      const cpuSeconds = readReapedChildrenCpuSeconds() - cpuBefore;
      resolve({ code, signal, seconds, cpuSeconds, stdout, stderr, timedOut });
    });
  });
}

/**
 * Sends SIGKILL to every tool {@link runTool} started that has not exited,
 * by its PID, e.g. when the bench's time limit is reached.
 */
export function killRunningTools(): void {
  for (const pid of runningPids) process.kill(pid, 'SIGKILL');
}

/** Resident memory of a process, in bytes. */
export interface MemoryStatus {
  /** Current resident set size (VmRSS). */
  readonly rssBytes: number;
  /** Peak resident set size since start or the last reset (VmHWM). */
  readonly peakBytes: number;
}

/**
 * Reads VmRSS and VmHWM from `/proc/<pid>/status`.
 *
 * @param pid the process
 * @returns current and peak resident size
 * @throws Error when the process is gone or the fields are missing
 */
export async function readMemoryStatus(pid: number): Promise<MemoryStatus> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kilobytes = (field: string): number => {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(status);
    if (!match?.[1]) throw new Error(`${field} missing for process ${pid}`);
    return Number(match[1]) * 1024;
  };

  return { rssBytes: kilobytes('VmRSS'), peakBytes: kilobytes('VmHWM') };
}

/**
 * Resets a process's VmHWM to its current RSS (Linux 4.0+, writing `5` to
 * `clear_refs`), so a later peak belongs to the work that follows.
 *
 * @param pid a process this user may trace (our own child)
 * @returns true when the kernel accepted the reset
 */
export async function resetPeakRss(pid: number): Promise<boolean> {
  try {
    await writeFile(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

/** Kernel clock ticks per second, the unit of CPU times in /proc. */
const CLOCK_TICKS = Number(
  execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }),
);

/**
 * Reads fields of `/proc/<pid>/stat`, counted from 1 as in proc(5).
 * The command name (field 2) may hold spaces, so fields are split after it.
 */
function statFields(pid: number | 'self'): (index: number) => number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');

  return (index) => Number(rest[index - 3]);
}

/**
 * The CPU time a running process has used so far: user plus system.
 * Unlike wall time it hardly grows when other work loads the machine.
 *
 * @param pid the process
 * @returns seconds of CPU
 */
export function readCpuSeconds(pid: number): number {
  const field = statFields(pid);

  return (field(14) + field(15)) / CLOCK_TICKS;
}

/** CPU time of this process's children that have exited and been reaped. */
function readReapedChildrenCpuSeconds(): number {
  const field = statFields('self');

  return (field(16) + field(17)) / CLOCK_TICKS;
}
