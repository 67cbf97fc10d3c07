// The `stoa` binary (built to dist/stoa.js by build.mjs): runs the command line against the
// process's streams and sets the exit code; the commands themselves live in run-cli.ts.
import { runCli } from './run-cli.js';

const interrupted = new AbortController();
process.once('SIGINT', () => {
  // `logs --follow` ends cleanly on the abort; anything else (a build) is cut short.
  interrupted.abort();
  setTimeout(() => process.exit(130), 1000).unref();
});

process.exitCode = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  cwd: process.cwd(),
  stdin: process.stdin,
  signal: interrupted.signal,
});
