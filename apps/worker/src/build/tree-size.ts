// Size of a directory tree, counted without following symlinks and stopping as soon as a limit is
// passed (a tree that is too large is not walked to its end).
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';

export interface TreeSize {
  readonly bytes: number;
  readonly files: number;
  /** True when the walk stopped early because a limit was passed (the counts are then lower bounds). */
  readonly exceeded: boolean;
}

export async function measureTree(
  dir: string,
  limits: { maxBytes?: number; maxFiles?: number } = {},
): Promise<TreeSize> {
  const maxBytes = limits.maxBytes ?? Number.POSITIVE_INFINITY;
  const maxFiles = limits.maxFiles ?? Number.POSITIVE_INFINITY;
  let bytes = 0;
  let files = 0;
  const stack = [dir];
  while (stack.length > 0) {
    const current = stack.pop() ?? dir;
    let entries;
    try {
      entries = await readdir(current, { withFileTypes: true });
    } catch (error) {
      // Directories may vanish while git is still writing (temporary pack files).
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw error;
    }
    for (const entry of entries) {
      const path = join(current, entry.name);
      if (entry.isDirectory()) {
        stack.push(path);
        continue;
      }
      files += 1;
      try {
        bytes += (await lstat(path)).size;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
      if (bytes > maxBytes || files > maxFiles) return { bytes, files, exceeded: true };
    }
  }
  return { bytes, files, exceeded: false };
}
