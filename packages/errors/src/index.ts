export { AppError, isAppError, toAppError } from './app-error.js';
export type { AppErrorOptions, ErrorBody } from './app-error.js';
export { ERROR_CODE_MAP, ERROR_CODES } from './codes.js';
export type { ErrorCode, ErrorCodeMapping, TrpcCode } from './codes.js';
