export { startDynalite } from './dynalite.js';
export type { DynaliteServer } from './dynalite.js';
