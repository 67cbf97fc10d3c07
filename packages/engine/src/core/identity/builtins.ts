/**
 * The sys builtins that write `sys.Login` records. They run through the ordinary command pipeline
 * (one event each in the app workspace's WLog and its partition's PLog; UNIQUE(Login) → 409) and
 * are granted to nobody: only the engine's identity service calls them, as sys.System. The
 * password hash arrives as an UNLOGGED argument, so the event's arguments never hold it (the
 * inserted record, like every CUD, is part of the event).
 */
import { AppError } from '@stoa/errors';
import type { BuiltinExtensions, ExtensionContext } from '../../extensions/host.js';

export const LOGIN_TABLE = 'sys.Login';
export const CREATE_LOGIN = 'sys.CreateLogin';
export const CHANGE_LOGIN_PASSWORD = 'sys.ChangeLoginPassword';
export const DEACTIVATE_LOGIN = 'sys.DeactivateLogin';

function argOf(ctx: ExtensionContext, name: string): unknown {
  return ctx.arg?.[name];
}

function passwordHashOf(ctx: ExtensionContext): string {
  const hash = ctx.unloggedArg?.['PasswordHash'];
  if (typeof hash !== 'string' || !hash.startsWith('scrypt$')) {
    throw new AppError('INTERNAL', `${ctx.qname}: PasswordHash must be an scrypt hash`);
  }
  return hash;
}

async function activeLogin(ctx: ExtensionContext): Promise<number> {
  const id = argOf(ctx, 'LoginID');
  const rec = typeof id === 'number' ? await ctx.state.getRecord(id) : undefined;
  if (rec?.['sys.QName'] !== LOGIN_TABLE) throw new AppError('NOT_FOUND', 'login not found');
  if (rec['sys.IsActive'] === false) throw new AppError('GONE', 'login is deactivated');
  return id as number;
}

export const IDENTITY_BUILTINS: BuiltinExtensions = {
  [CREATE_LOGIN]: (ctx) => {
    ctx.intents.insertRecord(LOGIN_TABLE, {
      Login: argOf(ctx, 'Login'),
      SubjectKind: argOf(ctx, 'SubjectKind'),
      DisplayName: argOf(ctx, 'DisplayName') ?? null,
      ProfileWSID: argOf(ctx, 'ProfileWSID'),
      PasswordHash: passwordHashOf(ctx),
      CreatedAt: ctx.now,
    });
  },
  [CHANGE_LOGIN_PASSWORD]: async (ctx) => {
    ctx.intents.updateRecord(await activeLogin(ctx), { PasswordHash: passwordHashOf(ctx) });
  },
  [DEACTIVATE_LOGIN]: async (ctx) => {
    ctx.intents.updateRecord(await activeLogin(ctx), { 'sys.IsActive': false });
  },
};
