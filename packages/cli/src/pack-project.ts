// The project archive `stoa deploy --portal` uploads: the project folder as the portal's upload
// form takes it (the worker builds it), without what is never source.
import { lstat, readdir, readFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { MANIFEST_FILE, parseProjectManifest, type ProjectManifest } from '@stoa/bundle/project';
import { writeZip } from '@stoa/bundle/zip';
import { AppError } from '@stoa/errors';

/** The portal's cap on an uploaded archive (apps/web MAX_UPLOAD_BYTES). */
export const MAX_ARCHIVE_BYTES = 32 * 1024 * 1024;
/** The worker's caps on an unpacked archive (apps/worker unpack-upload): refused here, before uploading. */
export const MAX_PROJECT_FILES = 10_000;
export const MAX_PROJECT_BYTES = 64 * 1024 * 1024;

export interface PackedProject {
  readonly manifest: ProjectManifest;
  readonly bytes: Uint8Array;
  /** Project-relative paths in the archive, sorted. */
  readonly files: readonly string[];
  /** What was left out, project-relative (folders end in `/`). */
  readonly skipped: readonly string[];
}

/**
 * Zips `dir` for upload. Left out: `node_modules/`, every dot entry (`.stoa/` build output, `.git/`,
 * `.env` and other files that may hold secrets) and symbolic links (the worker refuses them; a
 * link may point outside the project). `stoa.json` is read first, so a folder that is not a
 * project fails before anything is packed.
 */
export async function packProject(dir: string): Promise<PackedProject> {
  const manifestPath = join(dir, MANIFEST_FILE);
  let manifestText: string;
  try {
    manifestText = await readFile(manifestPath, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new AppError('NOT_FOUND', `${dir} is not an app project: it has no ${MANIFEST_FILE}`);
    }
    throw error;
  }
  const manifest = parseProjectManifest(manifestText, manifestPath);

  const entries = new Map<string, Uint8Array>();
  const skipped: string[] = [];
  let total = 0;
  const walk = async (at: string): Promise<void> => {
    for (const entry of await readdir(at, { withFileTypes: true })) {
      const path = join(at, entry.name);
      const rel = relative(dir, path).split(sep).join('/');
      if (entry.name.startsWith('.') || (entry.isDirectory() && entry.name === 'node_modules')) {
        skipped.push(entry.isDirectory() ? `${rel}/` : rel);
        continue;
      }
      // Dirent says what the entry itself is: a symlink is never followed.
      if (entry.isSymbolicLink() || (!entry.isDirectory() && !entry.isFile())) {
        skipped.push(rel);
        continue;
      }
      if (entry.isDirectory()) {
        await walk(path);
        continue;
      }
      total += (await lstat(path)).size;
      if (total > MAX_PROJECT_BYTES) throw tooLarge(dir, `its files exceed ${formatMiB(MAX_PROJECT_BYTES)}`);
      if (entries.size >= MAX_PROJECT_FILES) throw tooLarge(dir, `it has more than ${MAX_PROJECT_FILES} files`);
      entries.set(rel, new Uint8Array(await readFile(path)));
    }
  };
  await walk(dir);
  const bytes = writeZip(entries);
  if (bytes.length > MAX_ARCHIVE_BYTES) {
    throw tooLarge(
      dir,
      `its archive is ${formatMiB(bytes.length)}, the portal takes at most ${formatMiB(MAX_ARCHIVE_BYTES)}`,
    );
  }
  return { manifest, bytes, files: [...entries.keys()].sort(), skipped: skipped.sort() };
}

function tooLarge(dir: string, why: string): AppError {
  return new AppError('PAYLOAD_TOO_LARGE', `project ${dir} is too large to deploy: ${why}`);
}

function formatMiB(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}
