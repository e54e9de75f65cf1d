import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  DataDirInUseError,
  LOCK_FILE_NAME,
  lockDataDir,
} from '../../../lib/local/data-dir-lock.js';

let dataDir: string;

beforeEach(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'techmail-lock-'));
});

afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

/** A pid that belonged to a process which has exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await new Promise((resolve) => child.once('exit', resolve));

  return child.pid ?? 0;
}

describe('lockDataDir', () => {
  it('writes this process id and removes it on unlock', async () => {
    const unlock = await lockDataDir(dataDir);
    const lockPath = path.join(dataDir, LOCK_FILE_NAME);

    expect(await readFile(lockPath, 'utf8')).toBe(`${process.pid}\n`);
    await unlock();
    await expect(readFile(lockPath, 'utf8')).rejects.toThrow();
  });

  it('refuses with DataDirInUseError naming the pid when a live process holds the directory', async () => {
    const holder = spawn(process.execPath, [
      '-e',
      'setTimeout(() => {}, 5000)',
    ]);
    await writeFile(path.join(dataDir, LOCK_FILE_NAME), `${holder.pid}\n`);

    try {
      const attempt = lockDataDir(dataDir);

      await expect(attempt).rejects.toBeInstanceOf(DataDirInUseError);
      await expect(attempt).rejects.toThrow(`pid ${holder.pid}`);
    } finally {
      holder.kill();
    }
  });

  it('takes over a lock left by a process that no longer exists', async () => {
    await writeFile(path.join(dataDir, LOCK_FILE_NAME), `${await deadPid()}\n`);

    const unlock = await lockDataDir(dataDir);

    expect(await readFile(path.join(dataDir, LOCK_FILE_NAME), 'utf8')).toBe(
      `${process.pid}\n`,
    );
    await unlock();
  });
});
