export { inflateZipEntry, listZipEntries, ZipRejectedError } from './read-zip.js';
export type { ListZipOptions, ZipEntry } from './read-zip.js';
