// The AssemblyScript guest SDK for Stoa WASM extensions (ABI v1, ../ABI.md). Apps import it as
// `@stoa/extension-sdk/assembly`; the tutorial is ../README.md.

export { Value, ValueKind, Obj, parseI64 } from './value';
export { Encoder, decode, decodeAt, encode, MAX_DEPTH } from './msgpack';
export { ObjBuilder } from './builder';
export { Context, Cud, Event, arg, context, event, unloggedArg } from './inputs';
export { ViewIterator, getRecord, getView, readView, secret } from './state';
export { insertRecord, logError, logInfo, logWarn, putView, respond, result, updateRecord } from './intents';
