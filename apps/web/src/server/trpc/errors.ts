import { TRPCError, type TRPC_ERROR_CODE_KEY } from '@trpc/server';
import { ERROR_CODE_MAP, isAppError, type AppError, type TrpcCode } from '@stoa/errors';

// Every tRPC code @stoa/errors maps to must be one tRPC knows: a code added there that tRPC
// lacks fails to compile here (and an unmapped ErrorCode already fails in @stoa/errors).
const asTrpcCode = (code: TrpcCode): TRPC_ERROR_CODE_KEY => code;

/** The TRPCError for an AppError: its code through ERROR_CODE_MAP, its message, its data. */
export function appErrorToTrpc(error: AppError): TRPCError {
  return new TRPCError({ code: asTrpcCode(ERROR_CODE_MAP[error.code].trpc), message: error.message, cause: error });
}

/**
 * Maps what a procedure threw: TRPCErrors pass through, AppErrors map by code, anything else
 * becomes INTERNAL_SERVER_ERROR with a generic message (the original stays as `cause`, for the
 * server log, and never reaches the client).
 */
export function toTrpcError(error: TRPCError): TRPCError {
  const cause = error.cause;
  if (isAppError(cause)) return appErrorToTrpc(cause);
  if (error.code === 'INTERNAL_SERVER_ERROR' && cause !== undefined && !(cause instanceof TRPCError)) {
    return new TRPCError({ code: 'INTERNAL_SERVER_ERROR', message: 'internal error', cause });
  }
  return error;
}
