// Which schema file names a project may have. The same rule checks a bundle's entry names, so a
// project that reads without error always builds a bundle that opens.

export const SCHEMA_DIR = 'schema';
export const VSQL_SUFFIX = '.vsql';
export const MAX_SOURCE_PATH_LENGTH = 1024;

// Control characters, `\` and the characters Windows refuses in file names: a bundle may be
// unpacked anywhere, and a name must mean the same file everywhere.
// eslint-disable-next-line no-control-regex
const FORBIDDEN_CHARACTERS = /[\u0000-\u001f\u007f\\:*?"<>|]/;

/**
 * Why `path` (project-relative, `/`-separated) is not an acceptable schema file name, or undefined
 * when it is: `schema/…/name.vsql`, no empty, `.` or `..` segment, no forbidden character.
 */
export function explainBadSourcePath(path: string): string | undefined {
  if (path.length > MAX_SOURCE_PATH_LENGTH) return `longer than ${MAX_SOURCE_PATH_LENGTH} characters`;
  if (FORBIDDEN_CHARACTERS.test(path)) return 'contains a control character or one of \\ : * ? " < > |';
  const segments = path.split('/');
  if (segments[0] !== SCHEMA_DIR || segments.length < 2) return `not below ${SCHEMA_DIR}/`;
  if (segments.some((s) => s === '' || s === '.' || s === '..')) return 'has an empty, . or .. segment';
  if (!path.endsWith(VSQL_SUFFIX)) return `not a ${VSQL_SUFFIX} file`;
  return undefined;
}

/** Code-unit order (not locale order), so every machine sorts paths the same way. */
export function comparePaths(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
