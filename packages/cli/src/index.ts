// `@stoa/cli`: the `stoa` command line as a function (tests and other tools run it in-process).
export { runCli, VERSION } from './run-cli.js';
export type { CliIo, CliOutput } from './context.js';
export { EXIT_CODES } from './exit-codes.js';
export type { ExitCode } from './exit-codes.js';
export { formatDiff } from './format.js';
export { startDevServer } from './dev/dev-server.js';
export type { DevServer, DevServerOptions, ReloadOutcome } from './dev/dev-server.js';
