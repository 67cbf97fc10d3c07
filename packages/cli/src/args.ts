// Argument checks shared by the commands. They mirror the admin API's path rules
// (docs/admin-api.md), so a typo is a usage error (exit 2) here instead of a 400 from the node.
import { InvalidArgumentError } from 'commander';
import { UsageError } from './errors.js';

const OWNER_PATTERN = /^[a-z0-9][a-z0-9_-]{0,62}$/;
const APP_PATTERN = /^[a-z][a-z0-9-]{0,62}$/;
const SECRET_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
const BUNDLE_ID_PATTERN = /^[0-9a-f]{64}$/;

export interface AppRef {
  readonly owner: string;
  readonly app: string;
}

/** `owner/app` → its parts, or a UsageError naming the rule that failed. */
export function parseAppRef(text: string): AppRef {
  const parts = text.split('/');
  if (parts.length !== 2) throw new UsageError(`${JSON.stringify(text)} is not owner/app (e.g. acme/todo)`);
  const [owner = '', app = ''] = parts;
  checkOwner(owner);
  if (!APP_PATTERN.test(app)) {
    throw new UsageError(`app ${JSON.stringify(app)}: 1-63 characters a-z 0-9 -, starting with a letter`);
  }
  return { owner, app };
}

export function checkOwner(owner: string): string {
  if (!OWNER_PATTERN.test(owner)) {
    throw new UsageError(
      `owner ${JSON.stringify(owner)}: 1-63 characters a-z 0-9 _ -, starting with a letter or digit`,
    );
  }
  return owner;
}

export function checkSecretName(name: string): string {
  if (!SECRET_NAME_PATTERN.test(name)) {
    throw new UsageError(
      `secret name ${JSON.stringify(name)}: 1-64 characters A-Z a-z 0-9 _, not starting with a digit`,
    );
  }
  return name;
}

export function checkBundleId(id: string): string {
  if (!BUNDLE_ID_PATTERN.test(id))
    throw new UsageError(`bundle ${JSON.stringify(id)}: expected 64 lowercase hex digits`);
  return id;
}

/** A commander option parser for an integer in [min, max] (commander reports it as a usage error). */
export function integerIn(min: number, max: number): (value: string) => number {
  return (value) => {
    const n = /^\d+$/.test(value) ? Number(value) : Number.NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`expected an integer ${min}…${max === Number.MAX_SAFE_INTEGER ? '' : max}`);
    }
    return n;
  };
}

/** An http(s) URL for the admin API, else a UsageError naming where it came from. */
export function checkAdminUrl(url: string, source: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`${source} ${JSON.stringify(url)} is not a URL (e.g. http://127.0.0.1:8080)`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new UsageError(`${source} ${JSON.stringify(url)}: expected an http:// or https:// URL`);
  }
  return url;
}
