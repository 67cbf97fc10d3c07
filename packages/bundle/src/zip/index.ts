export { inflateZipEntry, listZipEntries, ZipRejectedError } from './read-zip.js';
export type { ListZipOptions, ZipEntry } from './read-zip.js';
export { writeZip } from '../bundle/zip-write.js';
