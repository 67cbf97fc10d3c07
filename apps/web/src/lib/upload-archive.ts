/**
 * Browser upload of a project archive to the portal's upload route, with progress (fetch cannot
 * report upload progress; XMLHttpRequest can). Client-only.
 */
export const MAX_ARCHIVE_BYTES = 32 * 1024 * 1024;

export interface UploadOutcome {
  readonly deploymentId: string;
}

/** Why a chosen file cannot be uploaded, or undefined when it can. */
export function checkArchiveFile(file: { readonly name: string; readonly size: number }): string | undefined {
  if (!file.name.toLowerCase().endsWith('.zip')) return 'Choose a .zip archive of the project.';
  if (file.size === 0) return 'The file is empty.';
  if (file.size > MAX_ARCHIVE_BYTES)
    return `The archive is larger than 32 MiB (${(file.size / 2 ** 20).toFixed(1)} MiB).`;
  return undefined;
}

export function uploadArchive(url: string, file: Blob, onProgress: (fraction: number) => void): Promise<UploadOutcome> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', url);
    xhr.setRequestHeader('content-type', 'application/zip');
    xhr.upload.onprogress = (event) => {
      if (event.lengthComputable && event.total > 0) onProgress(event.loaded / event.total);
    };
    xhr.onerror = () => reject(new Error('The portal cannot be reached; try again.'));
    xhr.onload = () => {
      let body: { deploymentId?: unknown; message?: unknown } = {};
      try {
        body = JSON.parse(xhr.responseText) as typeof body;
      } catch {
        // not JSON: the status says enough
      }
      if (xhr.status === 201 && typeof body.deploymentId === 'string') {
        resolve({ deploymentId: body.deploymentId });
        return;
      }
      const message = typeof body.message === 'string' ? body.message : `upload failed (HTTP ${xhr.status})`;
      reject(new Error(xhr.status === 413 ? 'The archive is larger than 32 MiB.' : message));
    };
    xhr.send(file);
  });
}
