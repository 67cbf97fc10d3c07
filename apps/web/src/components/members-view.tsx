'use client';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useRouter } from 'next/navigation';
import { useState, type FormEvent } from 'react';
import { ORG_ROLES, ROLE_DESCRIPTIONS, hasRole, type OrgRoleName } from '../lib/roles';
import { useTRPC } from '../lib/trpc';
import { ErrorNotice, FormError, Loading } from './status';

/** Roles `actorRole` may hand out: owners all, admins all but owner. */
function grantableRoles(actorRole: OrgRoleName): readonly OrgRoleName[] {
  return actorRole === 'owner' ? ORG_ROLES : ORG_ROLES.filter((r) => r !== 'owner');
}

function useInvalidateOrg(orgSlug: string) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  return async () => {
    await Promise.all([
      queryClient.invalidateQueries({ queryKey: trpc.member.list.queryKey({ orgSlug }) }),
      queryClient.invalidateQueries({ queryKey: trpc.invitation.list.queryKey({ orgSlug }) }),
      queryClient.invalidateQueries({ queryKey: trpc.org.get.queryKey({ orgSlug }) }),
    ]);
  };
}

function MembersTable({ orgSlug, myRole, myUserId }: { orgSlug: string; myRole: OrgRoleName; myUserId: string }) {
  const trpc = useTRPC();
  const router = useRouter();
  const invalidate = useInvalidateOrg(orgSlug);
  const members = useQuery(trpc.member.list.queryOptions({ orgSlug }));
  const changeRole = useMutation(trpc.member.changeRole.mutationOptions({ onSettled: invalidate }));
  const remove = useMutation(
    trpc.member.remove.mutationOptions({
      onSuccess: async (result) => {
        if (result.userId === myUserId) router.push('/');
        else await invalidate();
      },
    }),
  );
  const canManage = hasRole(myRole, 'admin');

  if (members.isPending) return <Loading label="Loading members…" />;
  if (members.isError) return <ErrorNotice error={members.error} onRetry={() => void members.refetch()} />;

  return (
    <>
      <table className="table" data-testid="members-table">
        <thead>
          <tr>
            <th>Name</th>
            <th>Email</th>
            <th>Role</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {members.data.map((m) => {
            const editable = canManage && (myRole === 'owner' || m.role !== 'owner');
            return (
              <tr key={m.userId} data-testid={`member-row-${m.email}`}>
                <td>{m.name}</td>
                <td>{m.email}</td>
                <td>
                  {editable ? (
                    <select
                      value={m.role}
                      disabled={changeRole.isPending}
                      data-testid={`member-role-${m.email}`}
                      onChange={(e) =>
                        changeRole.mutate({ orgSlug, userId: m.userId, role: e.target.value as OrgRoleName })
                      }
                    >
                      {grantableRoles(myRole)
                        .concat(myRole !== 'owner' && m.role === 'owner' ? ['owner'] : [])
                        .map((r) => (
                          <option key={r} value={r}>
                            {r}
                          </option>
                        ))}
                    </select>
                  ) : (
                    <span data-testid={`member-role-${m.email}`}>{m.role}</span>
                  )}
                </td>
                <td>
                  {m.userId === myUserId || editable ? (
                    <button
                      type="button"
                      className="secondary"
                      disabled={remove.isPending}
                      onClick={() => remove.mutate({ orgSlug, userId: m.userId })}
                    >
                      {m.userId === myUserId ? 'Leave' : 'Remove'}
                    </button>
                  ) : null}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <FormError error={changeRole.error ?? remove.error} testId="member-error" />
    </>
  );
}

function InviteForm({ orgSlug, myRole }: { orgSlug: string; myRole: OrgRoleName }) {
  const trpc = useTRPC();
  const invalidate = useInvalidateOrg(orgSlug);
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<OrgRoleName>('developer');
  const invite = useMutation(trpc.invitation.create.mutationOptions({ onSuccess: invalidate }));

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    invite.mutate({ orgSlug, email, role });
  }

  return (
    <form className="inline-form" onSubmit={submit} data-testid="invite-form">
      <label>
        Email
        <input
          type="email"
          required
          value={email}
          onChange={(e) => setEmail(e.target.value)}
          data-testid="invite-email"
        />
      </label>
      <label>
        Role
        <select value={role} onChange={(e) => setRole(e.target.value as OrgRoleName)} data-testid="invite-role">
          {grantableRoles(myRole).map((r) => (
            <option key={r} value={r} title={ROLE_DESCRIPTIONS[r]}>
              {r}
            </option>
          ))}
        </select>
      </label>
      <button type="submit" disabled={invite.isPending} data-testid="invite-submit">
        {invite.isPending ? 'Inviting…' : 'Invite'}
      </button>
      <FormError error={invite.error} testId="invite-error" />
      {invite.data !== undefined ? (
        <div className="notice success token" data-testid="invite-token-box">
          <p>
            Invitation for <strong>{invite.data.invitation.email}</strong> created. Send them this link; it is shown{' '}
            <strong>only once</strong> and works for 7 days:
          </p>
          <code data-testid="invite-link">
            {typeof window === 'undefined' ? '' : window.location.origin}/invite#{invite.data.token}
          </code>
          <p className="muted">
            Token: <code data-testid="invite-token">{invite.data.token}</code>
          </p>
        </div>
      ) : null}
    </form>
  );
}

function InvitationsList({ orgSlug, myRole }: { orgSlug: string; myRole: OrgRoleName }) {
  const trpc = useTRPC();
  const invalidate = useInvalidateOrg(orgSlug);
  const invitations = useQuery(trpc.invitation.list.queryOptions({ orgSlug }));
  const revoke = useMutation(trpc.invitation.revoke.mutationOptions({ onSettled: invalidate }));

  if (invitations.isPending) return <Loading label="Loading invitations…" />;
  if (invitations.isError) return <ErrorNotice error={invitations.error} onRetry={() => void invitations.refetch()} />;
  if (invitations.data.length === 0) {
    return (
      <p className="empty" data-testid="invitations-empty">
        No pending invitations.
      </p>
    );
  }
  return (
    <>
      <ul className="list" data-testid="invitations-list">
        {invitations.data.map((inv) => (
          <li key={inv.id} data-testid={`invitation-row-${inv.email}`}>
            <span>{inv.email}</span>
            <span className="badge">{inv.role}</span>
            <span className="muted">
              {inv.expired ? 'expired' : `expires ${new Date(inv.expiresAt).toLocaleDateString()}`} · by{' '}
              {inv.invitedBy.name}
            </span>
            {myRole === 'owner' || inv.role !== 'owner' ? (
              <button
                type="button"
                className="secondary"
                disabled={revoke.isPending}
                onClick={() => revoke.mutate({ orgSlug, invitationId: inv.id })}
              >
                Revoke
              </button>
            ) : null}
          </li>
        ))}
      </ul>
      <FormError error={revoke.error} testId="revoke-error" />
    </>
  );
}

export function MembersView({ orgSlug, myUserId }: { orgSlug: string; myUserId: string }) {
  const trpc = useTRPC();
  const org = useQuery(trpc.org.get.queryOptions({ orgSlug }));

  if (org.isPending) return <Loading label="Loading organisation…" />;
  if (org.isError) return <ErrorNotice error={org.error} testId="org-error" onRetry={() => void org.refetch()} />;
  const myRole = org.data.role;

  return (
    <section className="page" data-testid="members-page">
      <h1>Members of {org.data.name}</h1>
      <MembersTable orgSlug={orgSlug} myRole={myRole} myUserId={myUserId} />
      <h2>Invitations</h2>
      {hasRole(myRole, 'admin') ? (
        <>
          <InviteForm orgSlug={orgSlug} myRole={myRole} />
          <InvitationsList orgSlug={orgSlug} myRole={myRole} />
        </>
      ) : (
        <p className="muted">Admins and owners invite new members.</p>
      )}
    </section>
  );
}
