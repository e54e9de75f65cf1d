import { readFile, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { TechmailError } from '../../functions/commons/errors.js';

/** File in the data directory naming the process that uses it. */
export const LOCK_FILE_NAME = 'runtime.pid';

/** Another live local runtime already uses the data directory. */
export class DataDirInUseError extends TechmailError {
  /**
   * @param dataDir the directory asked for
   * @param pid the process that holds it
   */
  constructor(
    readonly dataDir: string,
    readonly pid: number,
  ) {
    super(
      `data directory ${dataDir} is in use by another local runtime (pid ${pid}); stop that one or set TECHMAIL_DATA_DIR to another directory`,
    );
    this.name = 'DataDirInUseError';
  }
}

/**
 * Claims the data directory for this process. Two runtimes on one directory
 * would share one embedded database, which allows a single opener, and the
 * second one would fail deep inside it with no hint why.
 *
 * A lock left by a process that no longer exists is taken over.
 *
 * @param dataDir the runtime's data directory (it must exist)
 * @returns a function that gives the directory up
 * @throws DataDirInUseError when a live process holds it
 */
export async function lockDataDir(
  dataDir: string,
): Promise<() => Promise<void>> {
  const path = join(dataDir, LOCK_FILE_NAME);
  const holder = await readHolder(path);
  if (holder !== undefined && holder !== process.pid && isAlive(holder)) {
    throw new DataDirInUseError(dataDir, holder);
  }
  await writeFile(path, `${process.pid}\n`, { mode: 0o600 });

  return async function unlockDataDir() {
    if ((await readHolder(path)) === process.pid) {
      await unlink(path).catch(() => undefined);
    }
  };
}

async function readHolder(path: string): Promise<number | undefined> {
  const text = await readFile(path, 'utf8').catch(() => undefined);
  const pid = Number.parseInt(text ?? '', 10);

  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
