export { createMemDriver, MEM_LIMITS, type MemDriverOptions } from './mem-driver.js';
