import { describeStorageContract } from '../testing/index.js';
import { createMemDriver } from './mem-driver.js';

describeStorageContract({ name: 'mem', insertWithBatch: true, createDriver: () => Promise.resolve(createMemDriver()) });
