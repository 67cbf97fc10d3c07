// Compiler diagnostics → the shape every Stoa build error has: `file:line:col: message` with a
// code frame in the message, and `{file, line, column, message}` entries in `data.errors`.
import { AppError } from '@stoa/errors';
import { formatCodeFrame } from '@stoa/vsql';

export interface ExtensionCompileError {
  /** Project-relative (`extensions/<pkg>/index.ts`), or asc's `~lib/…` name for SDK/library files. */
  file: string;
  /** 1-based; 0 when the compiler gave no position. */
  line: number;
  /** 1-based; 0 when the compiler gave no position. */
  column: number;
  message: string;
}

/** One compiler error with the frame shown in the message (not part of `data.errors`). */
export interface LocatedError extends ExtensionCompileError {
  frame: string;
}

/** 1-based line and column of a UTF-16 offset (asc's ranges index the JavaScript string). */
export function locateOffset(text: string, offset: number): { line: number; column: number } {
  const clamped = Math.max(0, Math.min(offset, text.length));
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < clamped; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: clamped - lineStart + 1 };
}

/** A diagnostic at `offset` of `file` (text unknown → no frame, position still reported). */
export function locateError(file: string, text: string | undefined, offset: number, message: string): LocatedError {
  if (text === undefined) return { file, line: 0, column: 0, message, frame: '' };
  const { line, column } = locateOffset(text, offset);
  return { file, line, column, message, frame: formatCodeFrame(text, line, column) };
}

function formatOne(error: LocatedError): string {
  const where = error.line > 0 ? `${error.file}:${error.line}:${error.column}` : error.file;
  return error.frame === '' ? `${where}: ${error.message}` : `${where}: ${error.message}\n\n${error.frame}`;
}

/** The error for one package's failed compile. */
export function toCompileError(pkg: string, errors: readonly LocatedError[]): AppError {
  const header = `extensions/${pkg}: ${errors.length} AssemblyScript error(s)`;
  return new AppError('VALIDATION_FAILED', `${header}\n\n${errors.map(formatOne).join('\n\n')}`, {
    data: { errors: errors.map(({ file, line, column, message }) => ({ file, line, column, message })) },
  });
}

/** Several packages' compile errors as one (a build reports every broken package at once). */
export function mergeCompileErrors(errors: readonly AppError[]): AppError {
  const first = errors[0];
  if (errors.length === 1 && first !== undefined) return first;
  const entries = errors.flatMap((e) => (Array.isArray(e.data?.errors) ? (e.data.errors as unknown[]) : []));
  return new AppError('VALIDATION_FAILED', errors.map((e) => e.message).join('\n\n'), { data: { errors: entries } });
}
