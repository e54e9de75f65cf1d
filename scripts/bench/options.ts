/** Generated ~20 KB messages in the retrieval comparison (issue #6). */
export const FULL_MESSAGES = 2000;

/** Generated messages in a `--quick` run. */
export const QUICK_MESSAGES = 200;

/** Most generated messages accepted: Dovecot gets one user per measurement. */
export const MAX_MESSAGES = 20_000;

/** Mailboxes the fan-out dispatches (issue #6). */
export const FAN_OUT_MAILBOXES = 1000;

/** Size of the one large message whose peak RSS is measured (issue #6). */
export const LARGE_MESSAGE_BYTES = 50 * 1024 * 1024;

/** Fresh-process imports per bundle; the median is reported. */
export const FULL_IMPORT_RUNS = 7;
export const QUICK_IMPORT_RUNS = 3;

/** Default hard limit of a whole run; the bench stops itself after it. */
export const FULL_TIME_LIMIT_S = 1800;
export const QUICK_TIME_LIMIT_S = 600;

/** What one `npm run bench` does. */
export interface BenchOptions {
  /** Generated ~20 KB messages; the corpus share is added to them. */
  readonly messages: number;
  /** Whether `--quick` was given (fewer messages and import runs). */
  readonly quick: boolean;
  /** Whether the pipeline runs under `--cpu-prof`. */
  readonly profile: boolean;
  /** Hard limit of the whole run in seconds. */
  readonly timeLimitS: number;
  /** Fresh-process imports per bundle. */
  readonly importRuns: number;
  /** Whether `--help` was asked for. */
  readonly help: boolean;
}

/** Usage text printed for `--help` and after a bad argument. */
export const USAGE = `usage: npm run bench -- [--quick] [--messages N] [--profile] [--time-limit S]
  --quick         ${QUICK_MESSAGES} generated messages and ${QUICK_IMPORT_RUNS} import runs per bundle
  --messages N    generated ~20 KB messages (default ${FULL_MESSAGES}); corpus mail is added
  --profile       run the local runtime with --cpu-prof into bench-results/
  --time-limit S  stop everything after S seconds (default ${FULL_TIME_LIMIT_S}, quick ${QUICK_TIME_LIMIT_S})`;

/**
 * Reads the bench's command-line flags.
 *
 * @param argv the arguments after the script name
 * @returns the options, with defaults filled in
 * @throws Error naming the flag that is unknown or has a bad value
 * @example
 * parseBenchOptions(['--quick', '--profile']).messages; // 200
 */
export function parseBenchOptions(argv: readonly string[]): BenchOptions {
  const flags = new Set<string>();
  const values = new Map<string, number>();
  for (let index = 0; index < argv.length; index += 1) {
    const arg = argv[index] as string;
    if (['--quick', '--profile', '--help'].includes(arg)) {
      flags.add(arg);
    } else if (['--messages', '--time-limit'].includes(arg)) {
      index += 1;
      values.set(arg, readPositiveInteger(arg, argv[index]));
    } else {
      throw new Error(`unknown argument "${arg}"\n${USAGE}`);
    }
  }
  const quick = flags.has('--quick');
  const messages =
    values.get('--messages') ?? (quick ? QUICK_MESSAGES : FULL_MESSAGES);
  if (messages > MAX_MESSAGES) {
    throw new Error(`--messages must be at most ${MAX_MESSAGES}`);
  }

  return {
    messages,
    quick,
    profile: flags.has('--profile'),
    timeLimitS:
      values.get('--time-limit') ??
      (quick ? QUICK_TIME_LIMIT_S : FULL_TIME_LIMIT_S),
    importRuns: quick ? QUICK_IMPORT_RUNS : FULL_IMPORT_RUNS,
    help: flags.has('--help'),
  };
}

function readPositiveInteger(flag: string, value: string | undefined): number {
  const parsed = value !== undefined && /^\d+$/.test(value) ? Number(value) : 0;
  if (parsed < 1) {
    throw new Error(`${flag} needs a whole number of at least 1\n${USAGE}`);
  }

  return parsed;
}
