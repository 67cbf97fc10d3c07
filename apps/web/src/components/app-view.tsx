'use client';
import { useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { useTRPC } from '../lib/trpc';
import { ErrorNotice, Loading } from './status';

export function AppView({ orgSlug, appName }: { orgSlug: string; appName: string }) {
  const trpc = useTRPC();
  const app = useQuery(trpc.app.get.queryOptions({ orgSlug, name: appName }));

  if (app.isPending) return <Loading label="Loading app…" />;
  if (app.isError) return <ErrorNotice error={app.error} testId="app-error" onRetry={() => void app.refetch()} />;

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
      <h2>Deployments</h2>
      <p className="empty" data-testid="deployments-empty">
        No deployments yet. Deploys from uploads, the CLI and git pushes — with live build logs and rollback — arrive
        here next.
      </p>
    </section>
  );
}
