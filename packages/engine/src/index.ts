// Public entry of @stoa/engine. Several helpers append here: add lines, never remove others'.
export { appKey } from './app/bundle.js';
export type { AppBundle, AppManifest } from './app/bundle.js';
export { loadAppFromFolder, DEV_BUILTINS_FILE } from './app/folder-loader.js';
export type { LoadAppFromFolderOptions } from './app/folder-loader.js';
export { defineBuiltins } from './extensions/host.js';
export type {
  BuiltinExtensions,
  BuiltinFunction,
  CudView,
  EventView,
  ExtensionContext,
  ExtensionHost,
  ExtensionLogger,
  IntentWriter,
  LoadedExtensions,
  ReadViewOptions,
  RecordValue,
  StateReader,
  ViewRow,
} from './extensions/host.js';
export { DEFAULT_LIMITS } from './resources.js';
export type { EngineLimits, EngineResources, SecretStore } from './resources.js';
export type * from './core/service.js';
// The composition roots (apps/engine, the CLI) may import only @stoa/engine, so the node-key and
// token functions they wire are re-exported from @stoa/auth.
export { KeyRing, createAuthenticator, createMemoryKeyStore, issuePrincipalToken } from '@stoa/auth';
export type { Authenticator, KeyStore, Principal, PrincipalKind } from '@stoa/auth';
// HTTP edge (src/http).
export { createHttpHandler, startHttpServer, generateOpenApi } from './http/index.js';
export type {
  HttpHandler,
  HttpHandlerOptions,
  HttpServerHandle,
  HttpServerOptions,
  OpenApiSource,
} from './http/index.js';
// Processing core (src/core, src/store, src/extensions/builtin-host.ts).
export { createEngineCore } from './core/engine-core.js';
export type { ActivationResult, CloseOptions, EngineCoreHandle } from './core/engine-core.js';
export type { EngineCoreOptions } from './core/app-runtime.js';
export { createNotificationBroker } from './core/notifications.js';
export { createBuiltinHost } from './extensions/builtin-host.js';
export type { BuiltinHostOptions } from './extensions/builtin-host.js';
export { createWasmHost, WASM_HOST_DEFAULTS } from './extensions/wasm/wasm-host.js';
export type { WasmHostOptions } from './extensions/wasm/wasm-host.js';
// Membership, invites, API tokens, ACL explain (src/core/membership).
export { createTokenRevocations } from './core/membership/revocations.js';
export type { TokenRevocations } from './core/membership/revocations.js';
export type * from './core/membership/api.js';
// Identity (src/core/identity): logins, profile workspaces, principal tokens.
export type {
  ChangePasswordInput,
  CredentialsInput,
  IdentityOptions,
  IdentityService,
  SignUpInput,
  TokenAnswer,
} from './core/identity/types.js';
export type { ScryptParams } from './core/identity/passwords.js';
export type { ThrottleLimit } from './core/identity/throttle.js';
export {
  DEFAULT_FUEL_GLOBAL,
  FuelInstrumentationError,
  UnsupportedWasmInstructionError,
  getFuel,
  injectFuelMetering,
  setFuel,
} from './extensions/wasm/fuel.js';
export type { FuelMeteringOptions } from './extensions/wasm/fuel.js';
export { webAssembly } from './extensions/wasm/webassembly-api.js';
// The node (src/node): composition from a chosen storage driver, the node's sys storage, secrets.
export { Closers, composeNode, ENGINE_VERSION } from './node/compose-node.js';
export type { ComposedNode, ComposeNodeOptions } from './node/compose-node.js';
export { openSysStore, SYS_ENGINE_APP } from './node/sys-store.js';
export type { DemoWorkspaceRecord, SysStore } from './node/sys-store.js';
export { ensureLocalDemo, formatLocalDemo } from './node/local-demo.js';
export type { LocalDemo, LocalDemoDeps } from './node/local-demo.js';
// The engine admin API (src/admin, docs/admin-api.md).
export { createDeployService, toAppBundle } from './admin/deploy-service.js';
export type { DeployService, DeployServiceOptions } from './admin/deploy-service.js';
export { createLogBuffer } from './admin/log-buffer.js';
export type * from './admin/types.js';
// Version comparison of AppDefs (@stoa/vsql), for tools that may import only the engine (`stoa dev`).
export { checkCompatibility, diffAppDefs } from '@stoa/vsql';
export type { AppDefDiff, BreakingChange, DiffEntry } from '@stoa/vsql';
// Loads binaryen (the WASM host's instrumentation) ahead of the first new module (`stoa dev`).
export { preloadWasmInstrumentation } from './extensions/wasm/binaryen-loader.js';
