'use client';
import { useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { hasRole } from '../lib/roles';
import { useTRPC } from '../lib/trpc';
import { DeploymentsPanel } from './deployments-panel';
import { GitSourceSettings } from './git-source-settings';
import { ErrorNotice, Loading } from './status';

export function AppView({ orgSlug, appName }: { orgSlug: string; appName: string }) {
  const trpc = useTRPC();
  const org = useQuery(trpc.org.get.queryOptions({ orgSlug }));
  const app = useQuery(trpc.app.get.queryOptions({ orgSlug, name: appName }));

  if (app.isPending || org.isPending) return <Loading label="Loading app…" />;
  if (app.isError) return <ErrorNotice error={app.error} testId="app-error" onRetry={() => void app.refetch()} />;
  if (org.isError) return <ErrorNotice error={org.error} testId="app-error" onRetry={() => void org.refetch()} />;

  const role = org.data.role;
  return (
    <section className="page" data-testid="app-page">
      <p className="muted">
        <Link href={`/orgs/${orgSlug}`}>← Apps</Link>
      </p>
      <h1 data-testid="app-title">{app.data.name}</h1>
      <dl className="facts">
        <dt>Engine path</dt>
        <dd>
          <code data-testid="app-engine-path">{app.data.enginePath}</code> — served at{' '}
          <code>/api/v2/apps/{app.data.enginePath}/…</code>
        </dd>
        <dt>Created</dt>
        <dd>{new Date(app.data.createdAt).toLocaleString()}</dd>
      </dl>
      <DeploymentsPanel orgSlug={orgSlug} appName={appName} role={role} />
      <h2>Git source</h2>
      {hasRole(role, 'admin') ? (
        <GitSourceSettings orgSlug={orgSlug} appName={appName} />
      ) : (
        <p className="muted">Admins and owners connect a repository; pushes to its branch then deploy.</p>
      )}
    </section>
  );
}
