'use client';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import Link from 'next/link';
import { useState, type FormEvent } from 'react';
import { hasRole } from '../lib/roles';
import { useTRPC } from '../lib/trpc';
import { ErrorNotice, FormError, Loading } from './status';

function CreateAppForm({ orgSlug }: { orgSlug: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [name, setName] = useState('');
  const create = useMutation(
    trpc.app.create.mutationOptions({
      onSuccess: async () => {
        setName('');
        await queryClient.invalidateQueries({ queryKey: trpc.app.list.queryKey({ orgSlug }) });
      },
    }),
  );

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    create.mutate({ orgSlug, name });
  }

  return (
    <form className="inline-form" onSubmit={submit} data-testid="create-app-form">
      <label>
        New app
        <input
          name="name"
          placeholder="my-app"
          required
          pattern="[a-z][a-z0-9\-]{0,62}"
          title='lowercase letters, digits and "-", starting with a letter'
          value={name}
          onChange={(e) => setName(e.target.value)}
          data-testid="app-name-input"
        />
      </label>
      <button type="submit" disabled={create.isPending} data-testid="create-app-submit">
        {create.isPending ? 'Creating…' : 'Create app'}
      </button>
      <FormError error={create.error} testId="create-app-error" />
    </form>
  );
}

export function AppsView({ orgSlug }: { orgSlug: string }) {
  const trpc = useTRPC();
  const org = useQuery(trpc.org.get.queryOptions({ orgSlug }));
  const apps = useQuery(trpc.app.list.queryOptions({ orgSlug }));

  if (org.isPending) return <Loading label="Loading organisation…" />;
  if (org.isError) return <ErrorNotice error={org.error} testId="org-error" onRetry={() => void org.refetch()} />;

  return (
    <section className="page" data-testid="apps-page">
      <h1 data-testid="org-title">
        {org.data.name} <small className="muted">{org.data.slug}</small>
      </h1>
      <p className="muted">
        Your role: <span data-testid="my-role">{org.data.role}</span>
      </p>
      <h2>Apps</h2>
      {hasRole(org.data.role, 'developer') ? (
        <CreateAppForm orgSlug={orgSlug} />
      ) : (
        <p className="muted">Viewers cannot create apps.</p>
      )}
      {apps.isPending ? (
        <Loading label="Loading apps…" />
      ) : apps.isError ? (
        <ErrorNotice error={apps.error} onRetry={() => void apps.refetch()} />
      ) : apps.data.length === 0 ? (
        <p className="empty" data-testid="apps-empty">
          No apps yet.
        </p>
      ) : (
        <ul className="list" data-testid="apps-list">
          {apps.data.map((app) => (
            <li key={app.id} data-testid={`app-row-${app.name}`}>
              <Link href={`/orgs/${orgSlug}/apps/${app.name}`}>{app.name}</Link>
              <code className="muted">{app.enginePath}</code>
              <span className="muted">created {new Date(app.createdAt).toLocaleString()}</span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
