'use client';
// The caller's portal access tokens in one org: create (the token is shown once), list, revoke.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { hasRole } from '../lib/roles';
import { useTRPC } from '../lib/trpc';
import { ErrorNotice, FormError, Loading } from './status';

const EXPIRY_CHOICES = [
  { label: '30 days', days: 30 },
  { label: '90 days', days: 90 },
  { label: '1 year', days: 365 },
  { label: 'never', days: undefined },
] as const;

function CreateTokenForm({ orgSlug }: { orgSlug: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [name, setName] = useState('');
  const [expiry, setExpiry] = useState(0);
  const create = useMutation(
    trpc.token.create.mutationOptions({
      onSuccess: async () => {
        setName('');
        await queryClient.invalidateQueries({ queryKey: trpc.token.list.queryKey({ orgSlug }) });
      },
    }),
  );

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    create.mutate({ orgSlug, name, expiresInDays: EXPIRY_CHOICES[expiry]?.days });
  }

  const origin = typeof window === 'undefined' ? '' : window.location.origin;
  return (
    <form className="inline-form" onSubmit={submit} data-testid="create-token-form">
      <label>
        Name
        <input
          required
          maxLength={100}
          placeholder="laptop"
          value={name}
          onChange={(e) => setName(e.target.value)}
          data-testid="token-name"
        />
      </label>
      <label>
        Expires
        <select value={expiry} onChange={(e) => setExpiry(Number(e.target.value))} data-testid="token-expiry">
          {EXPIRY_CHOICES.map((choice, i) => (
            <option key={choice.label} value={i}>
              {choice.label}
            </option>
          ))}
        </select>
      </label>
      <button type="submit" disabled={create.isPending} data-testid="create-token-submit">
        {create.isPending ? 'Creating…' : 'Create token'}
      </button>
      <FormError error={create.error} testId="create-token-error" />
      {create.data !== undefined ? (
        <div className="notice success token" data-testid="token-box">
          <p>
            Token <strong>{create.data.accessToken.name}</strong> created. Copy it now — it is shown{' '}
            <strong>only once</strong>:
          </p>
          <code data-testid="token-value">{create.data.token}</code>
          <p className="muted">
            Deploy with it:{' '}
            <code>
              POST {origin}/api/v1/orgs/{orgSlug}/apps/&lt;app&gt;/deployments
            </code>
            , header <code>Authorization: Bearer …</code>, body: the project zip (<code>application/zip</code>).
          </p>
        </div>
      ) : null}
    </form>
  );
}

export function TokensView({ orgSlug }: { orgSlug: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const org = useQuery(trpc.org.get.queryOptions({ orgSlug }));
  const tokens = useQuery(trpc.token.list.queryOptions({ orgSlug }));
  const revoke = useMutation(
    trpc.token.revoke.mutationOptions({
      onSettled: () => queryClient.invalidateQueries({ queryKey: trpc.token.list.queryKey({ orgSlug }) }),
    }),
  );

  if (org.isPending) return <Loading label="Loading organisation…" />;
  if (org.isError) return <ErrorNotice error={org.error} testId="org-error" onRetry={() => void org.refetch()} />;

  return (
    <section className="page" data-testid="tokens-page">
      <h1>Access tokens</h1>
      <p className="muted">
        Your tokens for <strong>{org.data.name}</strong>: they act as you, in this organisation only, with your role at
        the time they are used.
      </p>
      {hasRole(org.data.role, 'developer') ? (
        <CreateTokenForm orgSlug={orgSlug} />
      ) : (
        <p className="muted">Viewers cannot deploy, so they have no use for tokens.</p>
      )}
      {tokens.isPending ? (
        <Loading label="Loading tokens…" />
      ) : tokens.isError ? (
        <ErrorNotice error={tokens.error} onRetry={() => void tokens.refetch()} />
      ) : tokens.data.length === 0 ? (
        <p className="empty" data-testid="tokens-empty">
          No tokens yet.
        </p>
      ) : (
        <table className="table" data-testid="tokens-table">
          <thead>
            <tr>
              <th>Name</th>
              <th>Token</th>
              <th>Created</th>
              <th>Last used</th>
              <th>Expires</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {tokens.data.map((t) => (
              <tr key={t.id} data-testid={`token-row-${t.name}`}>
                <td>{t.name}</td>
                <td>
                  <code>{t.prefix}…</code>
                </td>
                <td>{new Date(t.createdAt).toLocaleDateString()}</td>
                <td>{t.lastUsedAt === null ? 'never' : new Date(t.lastUsedAt).toLocaleString()}</td>
                <td>{t.expiresAt === null ? 'never' : new Date(t.expiresAt).toLocaleDateString()}</td>
                <td>
                  {t.active ? (
                    <button
                      type="button"
                      className="secondary"
                      disabled={revoke.isPending}
                      onClick={() => revoke.mutate({ orgSlug, tokenId: t.id })}
                      data-testid={`revoke-token-${t.name}`}
                    >
                      Revoke
                    </button>
                  ) : (
                    <span className="badge status-failed">{t.revokedAt !== null ? 'revoked' : 'expired'}</span>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <FormError error={revoke.error} testId="revoke-token-error" />
    </section>
  );
}
