/**
 * Per-app identities (ARCHITECTURE.md §7). A login is a `sys.Login` record in the app workspace of
 * partition sha256(login) mod partitions, written by the sys builtins of builtins.ts through the
 * ordinary command pipeline (executed as sys.System), so every change is an event in that
 * workspace's WLog. Sign-up creates the profile workspace first (one `sys.Init` event owned by the
 * login), then the login pointing at it; a duplicate found only at the commit (a race) deactivates
 * the fresh profile again. Passwords: scrypt (passwords.ts). Failures: one 401 for every cause,
 * scrypt always runs (a dummy hash for unknown logins), throttled per login and per IP.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Principal, PrincipalKind } from '@stoa/auth';
import { AppError, isAppError } from '@stoa/errors';
import type { AppRuntime } from '../app-runtime.js';
import { executeCommand } from '../commands.js';
import { uniqueTupleKey } from '../cud-resolve.js';
import type { CallContext } from '../service.js';
import { createProfileWorkspace, deactivateWorkspace } from '../workspaces.js';
import { CHANGE_LOGIN_PASSWORD, CREATE_LOGIN, DEACTIVATE_LOGIN, LOGIN_TABLE } from './builtins.js';
import { PasswordHasher } from './passwords.js';
import { FailureThrottle, checkThrottles } from './throttle.js';
import type {
  ChangePasswordInput,
  CredentialsInput,
  IdentityOptions,
  IdentityService,
  SignUpInput,
  TokenAnswer,
} from './types.js';

export const LOGIN_FAILED = 'login or password is incorrect';
export const LOGIN_RE = /^[A-Za-z0-9._@+-]{1,100}$/;
const SUBJECT_USER = 1;
const SUBJECT_DEVICE = 2;
const DEFAULT_TTL = 3600;
const MAX_TTL = 7 * 24 * 3600;
const MINUTE = 60_000;
const ACTIVE_CACHE_MAX = 10_000;

interface LoginRecord {
  readonly id: number;
  readonly login: string;
  readonly kind: PrincipalKind;
  readonly active: boolean;
  readonly profileWSID: number;
  readonly passwordHash: string | undefined;
}

function invalid(field: string, message: string): AppError {
  return new AppError('VALIDATION_FAILED', `${field}: ${message}`, { data: { field } });
}

/** The `iat`/`exp` of an already verified JWT (the authenticator checked its signature). */
function tokenLifetime(token: string): number | undefined {
  try {
    const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as unknown;
    if (typeof payload !== 'object' || payload === null) return undefined;
    const { iat, exp } = payload as { iat?: unknown; exp?: unknown };
    if (typeof iat !== 'number' || typeof exp !== 'number') return undefined;
    const ttl = exp - iat;
    return Number.isInteger(ttl) && ttl > 0 && ttl <= MAX_TTL ? ttl : undefined;
  } catch {
    return undefined;
  }
}

export function createIdentityService(app: AppRuntime, options: IdentityOptions = {}): IdentityService {
  const now = (): number => app.resources.now();
  const hasher = new PasswordHasher({
    ...(options.scrypt === undefined ? {} : { params: options.scrypt }),
    ...(options.maxConcurrentHashes === undefined ? {} : { maxConcurrent: options.maxConcurrentHashes }),
    ...(options.maxQueuedHashes === undefined ? {} : { maxQueued: options.maxQueuedHashes }),
  });
  const ttl = options.tokenTtlSeconds ?? DEFAULT_TTL;
  if (!Number.isInteger(ttl) || ttl <= 0 || ttl > MAX_TTL)
    throw new Error(`identity: tokenTtlSeconds must be 1..${MAX_TTL}`);
  const clock = options.throttleClock ?? now;
  const byLogin = new FailureThrottle(options.loginFailures ?? { limit: 5, windowMs: MINUTE }, clock);
  const byIp = new FailureThrottle(options.ipFailures ?? { limit: 20, windowMs: MINUTE }, clock);
  const signUps = new FailureThrottle(options.signUpsPerIp ?? { limit: 30, windowMs: MINUTE }, clock);
  const activeCacheMs = options.activeCacheMs ?? 5000;
  /** login → whether it may act (false = deactivated), with the time it was read. */
  const activeCache = new Map<string, { active: boolean; at: number }>();
  const loginDef = app.appdef.tables[LOGIN_TABLE];
  const loginUnique = loginDef?.uniques.find((u) => u.fields.length === 1 && u.fields[0] === 'Login');

  const systemCtx = (ctx: CallContext): CallContext => ({
    requestId: ctx.requestId,
    ip: ctx.ip,
    principal: { kind: 'system', subject: 'sys', app: app.key, profileWSID: 0, expiresAt: Number.MAX_SAFE_INTEGER },
  });

  const loginWSID = (login: string): number =>
    app.appWorkspaceWSID(createHash('sha256').update(login).digest().readUInt32BE(0) % app.partitionCount);

  const findLogin = async (login: string): Promise<LoginRecord | undefined> => {
    if (loginDef === undefined || loginUnique === undefined || !LOGIN_RE.test(login)) return undefined;
    const wsid = loginWSID(login);
    const key = uniqueTupleKey(loginDef, wsid, loginUnique, { Login: login });
    const id = key === undefined ? undefined : await app.store.getUnique(key.key);
    const rec = id === undefined ? undefined : await app.store.getRecord(wsid, id);
    if (id === undefined || rec === undefined) return undefined;
    const profile = rec['ProfileWSID'];
    const hash = rec['PasswordHash'];
    return {
      id,
      login,
      kind: rec['SubjectKind'] === SUBJECT_DEVICE ? 'device' : 'user',
      active: rec['sys.IsActive'] !== false,
      profileWSID: typeof profile === 'number' ? profile : Number(profile ?? 0),
      passwordHash: typeof hash === 'string' ? hash : undefined,
    };
  };

  const remember = (login: string, active: boolean): void => {
    activeCache.delete(login);
    activeCache.set(login, { active, at: now() });
    if (activeCache.size > ACTIVE_CACHE_MAX) activeCache.delete(activeCache.keys().next().value as string);
  };

  const issue = async (rec: LoginRecord, ttlSeconds: number): Promise<TokenAnswer> => {
    const sign = app.resources.issueToken;
    if (sign === undefined) throw new AppError('UNAVAILABLE', 'this engine cannot issue tokens (no key ring)');
    const { token, expiresInSeconds } = await sign({
      app: app.key,
      subject: rec.login,
      kind: rec.kind,
      profileWSID: rec.profileWSID,
      ttlSeconds,
    });
    return { principalToken: token, expiresInSeconds, profileWSID: rec.profileWSID };
  };

  /** Checks credentials under the throttles; any failure → the one 401 (after scrypt ran). */
  const authenticateLogin = async (ctx: CallContext, login: string, password: string): Promise<LoginRecord> => {
    checkThrottles('too many failed attempts; try again later', [
      [byLogin, login],
      [byIp, ctx.ip],
    ]);
    const rec = await findLogin(login);
    const ok = await hasher.verify(password, rec?.passwordHash);
    if (!ok || rec === undefined || !rec.active || rec.profileWSID <= 0) {
      byLogin.fail(login);
      byIp.fail(ctx.ip);
      throw new AppError('UNAUTHENTICATED', LOGIN_FAILED);
    }
    byLogin.reset(login);
    return rec;
  };

  const createLogin = async (
    ctx: CallContext,
    input: { login: string; password: string; displayName: string | undefined; kind: 'user' | 'device' },
  ): Promise<number> => {
    if (!LOGIN_RE.test(input.login)) throw invalid('login', 'expected 1..100 characters of A-Z a-z 0-9 . _ @ + -');
    checkThrottles('too many sign-ups from this address; try again later', [[signUps, ctx.ip]]);
    signUps.fail(ctx.ip);
    if ((await findLogin(input.login)) !== undefined) throw new AppError('CONFLICT', 'login already exists');
    const passwordHash = await hasher.hash(input.password);
    const kind = input.kind === 'user' ? 'sys.UserProfileWS' : 'sys.DeviceProfileWS';
    const descriptor = input.displayName === undefined ? {} : { DisplayName: input.displayName };
    const { wsid: profileWSID } = await createProfileWorkspace(app, {
      kind,
      name: input.login,
      descriptor,
      owner: input.login,
    });
    try {
      await executeCommand(app, systemCtx(ctx), loginWSID(input.login), CREATE_LOGIN, {
        args: {
          Login: input.login,
          SubjectKind: input.kind === 'user' ? SUBJECT_USER : SUBJECT_DEVICE,
          ProfileWSID: profileWSID,
          ...(input.displayName === undefined ? {} : { DisplayName: input.displayName }),
        },
        unloggedArgs: { PasswordHash: passwordHash },
      });
    } catch (error) {
      // The profile is nobody's now; deactivating it is an event too (best effort).
      await deactivateWorkspace(app, systemCtx(ctx), profileWSID).catch((e: unknown) =>
        app.logger.warn({ err: e, wsid: profileWSID }, 'could not deactivate an orphan profile workspace'),
      );
      if (isAppError(error) && error.code === 'CONFLICT') throw new AppError('CONFLICT', 'login already exists');
      throw error;
    }
    remember(input.login, true);
    return profileWSID;
  };

  return {
    async signUp(ctx, input: SignUpInput) {
      const profileWSID = await createLogin(ctx, { ...input, kind: 'user' });
      return { login: input.login, profileWSID };
    },

    async createDevice(ctx, input) {
      const login = `device.${randomBytes(16).toString('hex')}`;
      const password = randomBytes(24).toString('base64url');
      await createLogin(ctx, { login, password, displayName: input.displayName, kind: 'device' });
      return { login, password };
    },

    async login(ctx, input: CredentialsInput) {
      const rec = await authenticateLogin(ctx, input.login, input.password);
      return issue(rec, ttl);
    },

    async refresh(ctx, bearerToken) {
      const p = ctx.principal;
      if (p === null) throw new AppError('UNAUTHENTICATED', 'a bearer token is required');
      if (p.kind !== 'user' && p.kind !== 'device')
        throw new AppError('FORBIDDEN', 'only login tokens can be refreshed');
      const rec = await findLogin(p.subject);
      if (rec === undefined || !rec.active) {
        if (rec !== undefined) remember(rec.login, false);
        throw new AppError('UNAUTHENTICATED', 'login is not active');
      }
      return issue(rec, tokenLifetime(bearerToken) ?? ttl);
    },

    async changePassword(ctx, input: ChangePasswordInput) {
      const rec = await authenticateLogin(ctx, input.login, input.oldPassword);
      await executeCommand(app, systemCtx(ctx), loginWSID(rec.login), CHANGE_LOGIN_PASSWORD, {
        args: { LoginID: rec.id },
        unloggedArgs: { PasswordHash: await hasher.hash(input.newPassword) },
      });
    },

    async deactivate(ctx, login) {
      const p = ctx.principal;
      if (p === null) throw new AppError('UNAUTHENTICATED', 'a bearer token is required');
      const target = login ?? p.subject;
      if (p.kind === 'system') {
        if (login === undefined) throw invalid('login', 'required for the system principal');
      } else if ((p.kind !== 'user' && p.kind !== 'device') || target !== p.subject) {
        throw new AppError('FORBIDDEN', 'a login may deactivate only itself');
      }
      const rec = await findLogin(target);
      if (rec === undefined) throw new AppError('NOT_FOUND', `login ${target} not found`);
      if (rec.active) {
        await executeCommand(app, systemCtx(ctx), loginWSID(target), DEACTIVATE_LOGIN, { args: { LoginID: rec.id } });
      }
      remember(target, false);
    },

    async checkPrincipal(principal: Principal) {
      if (principal.kind !== 'user' && principal.kind !== 'device') return;
      const login = principal.subject;
      const hit = activeCache.get(login);
      let active: boolean;
      if (hit !== undefined && now() - hit.at < activeCacheMs) active = hit.active;
      else {
        // Tokens of subjects without a login record (dev tokens the node printed) stay valid.
        active = (await findLogin(login))?.active ?? true;
        remember(login, active);
      }
      if (!active) throw new AppError('UNAUTHENTICATED', 'login is deactivated');
    },
  };
}
