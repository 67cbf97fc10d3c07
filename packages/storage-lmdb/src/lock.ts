/**
 * A pid lock file in the data dir: one process per data dir (see README). LMDB itself could be
 * shared, but the engine above caches reads and hands out sequence numbers in process, which is
 * only coherent with a single writer process. A lock left by a dead process (e.g. SIGKILL) is
 * taken over.
 */
import { openSync, closeSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { StorageUnavailableError } from '@stoa/storage';

const LOCK_FILE = 'stoa.lock';

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes the lock; returns the function that releases it. */
export function lockDataDir(dir: string): () => void {
  const path = join(dir, LOCK_FILE);
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => rmSync(path, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = Number.parseInt(readFileSync(path, 'utf8'), 10);
      if (Number.isInteger(holder) && holder > 0 && isAlive(holder)) {
        const who = holder === process.pid ? 'this process (close the other driver first)' : `process ${holder}`;
        throw new StorageUnavailableError('lmdb', `data dir ${dir} is in use by ${who}`);
      }
      rmSync(path, { force: true });
    }
  }
  throw new StorageUnavailableError('lmdb', `could not lock data dir ${dir}`);
}
