import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const PROJECT_DIR = fileURLToPath(new URL('../../', import.meta.url));

/** Longest wait for the runtime's startup line. */
const STARTUP_TIMEOUT_MS = 60_000;

/** A local runtime started as a user would, in a child process. */
export interface RuntimeProcess {
  /** `http://127.0.0.1:<port>` from the startup line. */
  readonly apiUrl: string;
  /** The child's process id (for /proc readings such as peak memory). */
  readonly pid: number;
  /** Every line the process wrote so far (stdout and stderr). */
  readonly output: string[];
  /** Sends SIGTERM and waits for the process to exit. */
  stop(): Promise<void>;
  /** Sends SIGKILL (a crash) and waits for the process to exit. */
  kill(): Promise<void>;
}

/**
 * Starts `bin/local.ts` in a child process with a free port, the schedule
 * off, and the given environment (e.g. NODE_EXTRA_CA_CERTS, which Node reads
 * only at start).
 *
 * @param env variables added to this process's environment
 * @returns the running runtime
 */
export async function startRuntimeProcess(
  env: Record<string, string>,
): Promise<RuntimeProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bin/local.ts'], {
    cwd: PROJECT_DIR,
    env: { ...process.env, PORT: '0', TECHMAIL_SCHEDULE: 'off', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => resolve()),
  );
  let apiUrl: string;
  try {
    apiUrl = await waitForStartup(child, exited, output);
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }

  return {
    apiUrl,
    pid: child.pid ?? 0,
    output,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
    kill: async () => {
      if (child.exitCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

/**
 * Waits for the runtime's `local runtime started` line and returns the API
 * URL it names. Every line the child writes, before and after, is pushed
 * onto `output`, of which only the last `keepLast` are kept.
 *
 * @param child the runtime process, its stdout and stderr piped
 * @param exited settles when the child exits
 * @param output where the child's lines go (for errors and later checks)
 * @param keepLast how many lines `output` keeps
 * @default keepLast: all
 * @returns the API URL
 * @throws Error with the output when the runtime exits or takes too long
 */
export function waitForStartup(
  child: ChildProcess,
  exited: Promise<void>,
  output: string[],
  keepLast = Number.POSITIVE_INFINITY,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(
        new Error(
          `local runtime did not start in ${STARTUP_TIMEOUT_MS} ms:\n${output.join('\n')}`,
        ),
      );
    }, STARTUP_TIMEOUT_MS);
    const onLine = (line: string): void => {
      output.push(line);
      if (output.length > keepLast) output.shift();
      if (!line.includes('"local runtime started"')) return;
      clearTimeout(timer);
      resolve((JSON.parse(line) as { apiUrl: string }).apiUrl);
    };
    collectLines(child.stdout, onLine);
    collectLines(child.stderr, onLine);
    void exited.then(() => {
      clearTimeout(timer);
      reject(
        new Error(`local runtime exited during startup:\n${output.join('\n')}`),
      );
    });
  });
}

function collectLines(
  stream: NodeJS.ReadableStream | null,
  onLine: (line: string) => void,
): void {
  let pending = '';
  stream?.setEncoding('utf8');
  stream?.on('data', (chunk: string) => {
    const lines = (pending + chunk).split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) onLine(line);
  });
}

/** A JSON response: status and parsed body. */
export interface JsonReply<T = Record<string, unknown>> {
  status: number;
  body: T;
}

/**
 * Calls the local API with a JSON body.
 *
 * @param apiUrl the runtime's base URL
 * @param method the HTTP method
 * @param path the path, e.g. `/mailboxes`
 * @param body optional JSON body
 * @returns status and parsed body (`{}` for an empty body)
 */
export async function callApi<T = Record<string, unknown>>(
  apiUrl: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<JsonReply<T>> {
  const response = await fetch(`${apiUrl}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();

  return {
    status: response.status,
    body: (text === '' ? {} : JSON.parse(text)) as T,
  };
}

/** Run states after which a run does not change any more. */
const FINAL_RUN_STATES = new Set(['succeeded', 'failed', 'skipped']);

/**
 * Polls `GET /runs/{runId}` until the run is final.
 *
 * @param apiUrl the runtime's base URL
 * @param runId the run
 * @param timeoutMs the longest wait
 * @returns the final run record
 */
export async function waitForRun<T extends { status: string }>(
  apiUrl: string,
  runId: string,
  timeoutMs = 120_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const { status, body } = await callApi<T>(apiUrl, 'GET', `/runs/${runId}`);
    if (status === 200 && FINAL_RUN_STATES.has(body.status)) return body;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }

  throw new Error(`run ${runId} did not finish within ${timeoutMs} ms`);
}
