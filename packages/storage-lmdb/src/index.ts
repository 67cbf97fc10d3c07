export { createLmdbDriver, LMDB_LIMITS, type LmdbDriver, type LmdbDriverOptions } from './lmdb-driver.js';
