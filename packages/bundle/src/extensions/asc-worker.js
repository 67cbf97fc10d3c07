// The AssemblyScript compiler's thread (asc-compile.ts starts it). Plain JavaScript, started
// without the parent's loader flags: under tsx, importing asc (binaryen is a 13 MB file) takes
// ~12 s instead of ~1 s. Off the main thread a compile (~1-2 s) blocks nothing, and the process
// outlives a compiler crash (asc calls process.exit(), which only ends this thread).
//
// Request:  { id, args: string[], files: [path, text][] }
// Response: { id, binary?: Uint8Array, error?: string, stderr: string,
//             diagnostics: { category, code, message, file, start, libraryText? }[] }
import { posix } from 'node:path';
import { parentPort } from 'node:worker_threads';

// Not a static import: the repo's typecheck (allowJs) would follow it into asc's type
// declarations, whose global `namespace console { log }` breaks `console.warn` everywhere.
const ASC_MODULE = 'assemblyscript/asc';
const { default: asc } = await import(ASC_MODULE);

const OUT_FILE = 'module.wasm';
const STDLIB_PREFIX = '~lib/';

function createTextStream() {
  const chunks = [];
  return {
    write: (chunk) => chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8')),
    text: () => chunks.join(''),
  };
}

/** Standard library text for a diagnostic's code frame (the parent has no compiler loaded). */
function libraryText(file) {
  if (file === null || !file.startsWith(STDLIB_PREFIX) || !file.endsWith('.ts')) return undefined;
  const name = file.slice(STDLIB_PREFIX.length, -'.ts'.length);
  return Object.prototype.hasOwnProperty.call(asc.libraryFiles, name) ? asc.libraryFiles[name] : undefined;
}

async function compile({ id, args, files }) {
  const sources = new Map(files);
  const diagnostics = [];
  const stderr = createTextStream();
  let binary;
  try {
    const result = await asc.main(args, {
      stdout: createTextStream(),
      stderr,
      // The same lookup as VirtualFs.readFile: the map is all there is.
      readFile: (name) => sources.get(posix.normalize(name.replace(/\\/g, '/'))) ?? null,
      writeFile: (name, contents) => {
        if (name === OUT_FILE && typeof contents !== 'string') binary = Uint8Array.from(contents);
      },
      // Only `--lib` folders are listed, and there are none.
      listFiles: () => [],
      reportDiagnostic: (d) => {
        const file = d.range?.source.normalizedPath ?? null;
        diagnostics.push({
          category: d.category,
          code: d.code,
          message: d.message,
          file,
          start: d.range?.start ?? 0,
          libraryText: libraryText(file),
        });
      },
    });
    const error = result.error === null ? undefined : result.error.message;
    parentPort.postMessage({ id, binary, error, stderr: stderr.text(), diagnostics });
  } catch (e) {
    parentPort.postMessage({ id, error: String(e?.stack ?? e), stderr: stderr.text(), diagnostics });
  }
}

// One compile at a time: binaryen keeps process-wide state (optimize levels, …) and asc awaits
// between its phases, so two compiles must not interleave.
let queue = Promise.resolve();
parentPort.on('message', (request) => {
  queue = queue.then(() => compile(request));
});
