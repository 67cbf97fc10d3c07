/**
 * Builtin implementations of the `sys` package's BUILTIN extensions. `sys.CUD` and `sys.Init` do no
 * work of their own: the engine core applies a request's CUDs (and a workspace's initial records)
 * itself, with validation and per-CUD ACL; the functions exist so every declared builtin has an
 * implementation and the same invocation path runs for every command.
 */
import { IDENTITY_BUILTINS } from '../core/identity/builtins.js';
import type { BuiltinExtensions } from './host.js';

export const SYS_BUILTINS: BuiltinExtensions = {
  'sys.CUD': () => undefined,
  'sys.Init': () => undefined,
  // Logins (core/identity): sys.CreateLogin, sys.ChangeLoginPassword, sys.DeactivateLogin.
  ...IDENTITY_BUILTINS,
  // Membership and API-token events are built by the core (core/membership); the commands are
  // declared so projectors can follow them, and refuse direct calls (only sys.System could make one).
  ...Object.fromEntries(
    [
      'sys.InitiateInvitation',
      'sys.CancelInvitation',
      'sys.AcceptInvitation',
      'sys.DeclineInvitation',
      'sys.UpdateMemberRoles',
      'sys.RemoveMember',
      'sys.LeaveWorkspace',
      'sys.CreateApiToken',
      'sys.RevokeApiToken',
    ].map((q) => [
      q,
      (ctx: Parameters<BuiltinExtensions[string]>[0]) =>
        ctx.intents.response(400, `${q} runs only through the membership and API-token routes`),
    ]),
  ),
};
