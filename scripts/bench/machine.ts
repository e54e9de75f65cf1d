import { execFile } from 'node:child_process';
import os from 'node:os';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/** What the figures were measured on, for the JSON report. */
export interface MachineDescription {
  readonly node: string;
  readonly cpus: number;
  /** One-, five- and fifteen-minute load averages at the time of asking. */
  readonly load: readonly number[];
  readonly commit?: string;
  /**
   * Whether `functions/`, `lib/` or `bin/` differ from the commit: the
   * working tree is what was measured. Null outside a git checkout.
   */
  readonly uncommittedChangesInCode: boolean | null;
  readonly mpop?: string;
  readonly fetchmail?: string;
}

/**
 * Describes the machine, the code and the tools the bench measured.
 *
 * @param projectDir the project directory (a git checkout, or not)
 * @returns versions, CPU count, load and the commit
 */
export async function describeMachine(
  projectDir: string,
): Promise<MachineDescription> {
  const output = (command: string, args: string[]) =>
    execFileAsync(command, args).then(
      ({ stdout }) => stdout,
      () => undefined,
    );
  const firstLine = (text: string | undefined, pattern: RegExp) =>
    text?.split('\n').find((line) => pattern.test(line));
  const git = (...args: string[]) => output('git', ['-C', projectDir, ...args]);
  const changed = await git(
    'status',
    '--porcelain',
    '--',
    'functions',
    'lib',
    'bin',
  );

  return {
    node: process.version,
    cpus: os.cpus().length,
    load: os.loadavg(),
    commit: (await git('rev-parse', 'HEAD'))?.trim(),
    uncommittedChangesInCode:
      changed === undefined ? null : changed.trim() !== '',
    mpop: firstLine(await output('mpop', ['--version']), /^mpop version/),
    fetchmail: firstLine(
      await output('fetchmail', ['--version']),
      /fetchmail release/,
    ),
  };
}
