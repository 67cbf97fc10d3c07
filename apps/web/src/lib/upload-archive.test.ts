import { describe, expect, it } from 'vitest';
import { checkArchiveFile, MAX_ARCHIVE_BYTES } from './upload-archive';

describe('checkArchiveFile', () => {
  it('takes non-empty .zip files up to 32 MiB', () => {
    expect(checkArchiveFile({ name: 'todo.zip', size: 10 })).toBeUndefined();
    expect(checkArchiveFile({ name: 'TODO.ZIP', size: MAX_ARCHIVE_BYTES })).toBeUndefined();
    expect(checkArchiveFile({ name: 'todo.tar.gz', size: 10 })).toMatch(/\.zip/);
    expect(checkArchiveFile({ name: 'todo.zip', size: 0 })).toMatch(/empty/);
    expect(checkArchiveFile({ name: 'todo.zip', size: MAX_ARCHIVE_BYTES + 1 })).toMatch(/larger than 32 MiB/);
  });
});
