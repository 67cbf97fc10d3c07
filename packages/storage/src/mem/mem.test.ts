import { describeStorageContract } from '../testing/index.js';
import { createMemDriver } from './mem-driver.js';

describeStorageContract({ name: 'mem', createDriver: () => Promise.resolve(createMemDriver()) });
