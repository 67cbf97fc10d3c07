/**
 * Org roles and their order (owner > admin > developer > viewer). Client-safe: no @stoa/db import,
 * so forms and pages can use it; src/server/domain/access.ts checks it matches the database enum.
 */
export const ORG_ROLES = ['owner', 'admin', 'developer', 'viewer'] as const;

export type OrgRoleName = (typeof ORG_ROLES)[number];

const RANK: Readonly<Record<OrgRoleName, number>> = { owner: 4, admin: 3, developer: 2, viewer: 1 };

/** True when `role` is `min` or above it. */
export function hasRole(role: OrgRoleName, min: OrgRoleName): boolean {
  return RANK[role] >= RANK[min];
}

/** What each role may do, for the members page. */
export const ROLE_DESCRIPTIONS: Readonly<Record<OrgRoleName, string>> = {
  owner: 'everything, including granting ownership',
  admin: 'manage members, invitations and apps',
  developer: 'create apps and deploy them',
  viewer: 'read only',
};
