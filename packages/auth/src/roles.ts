import type { QName } from '@stoa/vsql';
import type { Principal } from './principal.js';

/**
 * Built-in role composition: which roles a caller holds in a workspace *before* inheritance.
 * The evaluator then expands them through the workspace's `GRANT Role TO Role` rules, including
 * those of the sys package (`GRANT Everyone TO Anonymous`, `GRANT WorkspaceOwner TO ProfileOwner`,
 * `GRANT BLOBUploader TO WorkspaceOwner`, …) and the app's (`GRANT Member TO sys.WorkspaceOwner`).
 */
export const BUILTIN_ROLES = {
  everyone: 'sys.Everyone',
  anonymous: 'sys.Anonymous',
  authenticatedUser: 'sys.AuthenticatedUser',
  system: 'sys.System',
  profileOwner: 'sys.ProfileOwner',
  workspaceOwner: 'sys.WorkspaceOwner',
  workspaceDevice: 'sys.WorkspaceDevice',
} as const;

export interface RoleCompositionInput {
  /** null = anonymous (no token). */
  readonly principal: Principal | null;
  /** The workspace being called. */
  readonly wsid: number;
  /** `OwnerWSID` of the workspace descriptor (the owner's profile WSID), when known. */
  readonly ownerWSID?: number | null;
  /** Roles of the caller's `sys.Subject` row in this workspace (membership), if any. */
  readonly memberRoles?: readonly QName[];
}

/**
 * - no token → `sys.Anonymous`, `sys.Everyone`; membership is never consulted.
 * - system principal → `sys.System` (every operation allowed) + `sys.AuthenticatedUser`, `sys.Everyone`.
 * - API token → `sys.AuthenticatedUser`, `sys.Everyone` and, only in the workspace the token is bound
 *   to, the token's roles without any `sys.*` role; no membership, no ownership.
 * - user/device → `sys.AuthenticatedUser`, `sys.Everyone`, the membership roles (without `sys.System`),
 *   `sys.ProfileOwner` in its own profile workspace, `sys.WorkspaceOwner` where the descriptor's
 *   OwnerWSID is its profile, and additionally `sys.WorkspaceDevice` for a device owner.
 */
export function composeRoles(input: RoleCompositionInput): QName[] {
  const { principal, wsid } = input;
  if (principal === null) return [BUILTIN_ROLES.anonymous, BUILTIN_ROLES.everyone];
  const roles = new Set<QName>([BUILTIN_ROLES.authenticatedUser, BUILTIN_ROLES.everyone]);
  switch (principal.kind) {
    case 'system':
      roles.add(BUILTIN_ROLES.system);
      break;
    case 'apiToken':
      if (principal.wsid === wsid) {
        for (const role of principal.roles ?? []) if (!role.startsWith('sys.')) roles.add(role);
      }
      break;
    case 'user':
    case 'device': {
      for (const role of input.memberRoles ?? []) if (role !== BUILTIN_ROLES.system) roles.add(role);
      const profile = principal.profileWSID;
      if (profile > 0 && profile === wsid) roles.add(BUILTIN_ROLES.profileOwner);
      if (profile > 0 && input.ownerWSID !== undefined && input.ownerWSID === profile) {
        roles.add(BUILTIN_ROLES.workspaceOwner);
        if (principal.kind === 'device') roles.add(BUILTIN_ROLES.workspaceDevice);
      }
      break;
    }
  }
  return [...roles];
}
