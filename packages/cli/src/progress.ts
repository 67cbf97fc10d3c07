import { CLEAR_LINE } from './ansi.js';
import type { CliOutput } from './context.js';

/**
 * A one-line spinner with elapsed time for long steps (building, uploading), on stderr and only
 * when it is an interactive terminal: pipes and CI logs get no control characters.
 */
export interface Progress {
  /** Changes the label (e.g. from `building` to `uploading`). */
  update(label: string): void;
  /** Erases the line. */
  stop(): void;
}

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
const INTERVAL_MS = 100;

export function startProgress(stream: CliOutput, label: string, enabled: boolean): Progress {
  if (!enabled) return { update: () => undefined, stop: () => undefined };
  const started = performance.now();
  let current = label;
  let frame = 0;
  const draw = (): void => {
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    stream.write(`${CLEAR_LINE}${FRAMES[frame % FRAMES.length]} ${current} ${seconds}s`);
    frame++;
  };
  draw();
  const timer = setInterval(draw, INTERVAL_MS);
  // Never what keeps the process alive.
  timer.unref();
  return {
    update(next) {
      current = next;
      draw();
    },
    stop() {
      clearInterval(timer);
      stream.write(CLEAR_LINE);
    },
  };
}

/** Runs `work` under a spinner, stopping it however `work` ends. */
export async function withProgress<T>(
  stream: CliOutput,
  label: string,
  enabled: boolean,
  work: (progress: Progress) => Promise<T>,
): Promise<T> {
  const progress = startProgress(stream, label, enabled);
  try {
    return await work(progress);
  } finally {
    progress.stop();
  }
}
