// Helpers of the membership-*.int.test.ts suites: fixture folders, and joining a workspace through
// the invite routes (invite → accept) as a real client would.
import { join } from 'node:path';
import { expect } from 'vitest';
import type { ApiClient } from './harness.js';

export const FIELD_ACL_DIR = join(import.meta.dirname, '../fixtures/field-acl');

/** The subject (login) a harness client acts as: its token's `sub`. */
export function subjectOf(client: ApiClient): string {
  const payload = JSON.parse(Buffer.from((client.token ?? '').split('.')[1] ?? '', 'base64url').toString()) as {
    sub: string;
  };
  return payload.sub;
}

/** `owner` invites `member` into `wsid` with `roles`; `member` accepts. Returns the invite id. */
export async function joinWorkspace(
  owner: ApiClient,
  member: ApiClient,
  wsid: number,
  roles: string[],
): Promise<number> {
  const invited = await owner.post(`/workspaces/${wsid}/invites`, { login: subjectOf(member), roles });
  expect(invited.status, invited.text).toBe(201);
  const inviteId = invited.json['inviteId'] as number;
  const accepted = await member.post(`/workspaces/${wsid}/invites/${inviteId}/accept`);
  expect(accepted.status, accepted.text).toBe(200);
  return inviteId;
}
