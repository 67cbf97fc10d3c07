export { createDynamoDbDriver } from './dynamodb-driver.js';
export type { DynamoDbDriverOptions } from './dynamodb-driver.js';
export { DYNAMODB_LIMITS, ITEM_OVERHEAD_BYTES, MAX_ITEM_BYTES, MAX_KEY_BYTES, MAX_VALUE_BYTES } from './layout.js';
