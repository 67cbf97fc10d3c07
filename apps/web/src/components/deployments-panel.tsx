'use client';
// An app's deploys: the upload form, the history (refetched every 2 s while a deploy runs), the
// live log of the selected deployment, the schema diff of each row on demand, and rollback.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Fragment, useState, type ChangeEvent, type FormEvent } from 'react';
import { hasRole, type OrgRoleName } from '../lib/roles';
import { useTRPC } from '../lib/trpc';
import { checkArchiveFile, uploadArchive } from '../lib/upload-archive';
import type { RouterOutputs } from '../server/trpc/root';
import { DeployLogPanel } from './deploy-log-panel';
import { ErrorNotice, FormError, Loading } from './status';

type Deployment = RouterOutputs['deployment']['list'][number];

const POLL_MS = 2_000;

function shortSha(sha: string | null): string {
  return sha === null ? '' : sha.slice(0, 10);
}

function UploadForm({
  orgSlug,
  appName,
  onUploaded,
}: {
  orgSlug: string;
  appName: string;
  onUploaded: (id: string) => void;
}) {
  const [file, setFile] = useState<File | null>(null);
  const [progress, setProgress] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);

  function choose(event: ChangeEvent<HTMLInputElement>) {
    const chosen = event.target.files?.[0] ?? null;
    setFile(chosen);
    setError(chosen === null ? null : (checkArchiveFile(chosen) ?? null));
  }

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (file === null) return;
    const problem = checkArchiveFile(file);
    if (problem !== undefined) return setError(problem);
    setError(null);
    setProgress(0);
    try {
      const url = `/api/orgs/${encodeURIComponent(orgSlug)}/apps/${encodeURIComponent(appName)}/deployments`;
      const { deploymentId } = await uploadArchive(url, file, setProgress);
      setFile(null);
      (event.target as HTMLFormElement).reset();
      onUploaded(deploymentId);
    } catch (failure) {
      setError(failure instanceof Error ? failure.message : 'The upload failed.');
    } finally {
      setProgress(null);
    }
  }

  const uploading = progress !== null;
  return (
    <form className="inline-form" onSubmit={(e) => void submit(e)} data-testid="upload-form">
      <label>
        Project archive (.zip, ≤ 32 MiB)
        <input
          type="file"
          accept=".zip,application/zip"
          onChange={choose}
          disabled={uploading}
          data-testid="upload-file"
        />
      </label>
      <button type="submit" disabled={file === null || uploading || error !== null} data-testid="upload-submit">
        {uploading ? 'Uploading…' : 'Upload and deploy'}
      </button>
      {progress !== null ? (
        <span className="upload-progress" data-testid="upload-progress">
          <progress max={1} value={progress} /> {Math.round(progress * 100)}%
        </span>
      ) : null}
      {error !== null ? (
        <p className="form-error" role="alert" data-testid="upload-error">
          {error}
        </p>
      ) : null}
    </form>
  );
}

function DeploymentRows({
  deployment: d,
  expanded,
  selected,
  canDeploy,
  rollingBack,
  onToggle,
  onSelect,
  onRollback,
}: {
  deployment: Deployment;
  expanded: boolean;
  selected: boolean;
  canDeploy: boolean;
  rollingBack: boolean;
  onToggle: () => void;
  onSelect: () => void;
  onRollback: () => void;
}) {
  const hasDetails = d.schemaDiff !== null || d.error !== null;
  return (
    <Fragment>
      <tr data-testid={`deployment-row-${d.id}`} className={selected ? 'selected' : undefined}>
        <td>
          <span className={`badge status-${d.status}`} data-testid={`deployment-status-${d.id}`}>
            {d.final ? null : <span className="spinner" aria-hidden="true" />} {d.status.replace('_', ' ')}
          </span>
        </td>
        <td>
          {d.source}
          {d.commitSha !== null ? (
            <>
              {' '}
              <code title={d.commitSha}>{shortSha(d.commitSha)}</code>
              {d.branch !== null ? <span className="muted"> on {d.branch}</span> : null}
            </>
          ) : null}
          {d.source === 'rollback' && d.bundleId !== null ? (
            <span className="muted"> to bundle {d.bundleId.slice(0, 10)}</span>
          ) : null}
        </td>
        <td>{d.who}</td>
        <td title={d.createdAt}>{new Date(d.createdAt).toLocaleString()}</td>
        <td>{d.finishedAt === null ? '—' : new Date(d.finishedAt).toLocaleString()}</td>
        <td>
          <div className="actions">
            <button type="button" className="secondary" onClick={onSelect} data-testid={`logs-${d.id}`}>
              Logs
            </button>
            {hasDetails ? (
              <button
                type="button"
                className="secondary"
                aria-expanded={expanded}
                onClick={onToggle}
                data-testid={`diff-toggle-${d.id}`}
              >
                {expanded ? 'Hide' : d.error !== null ? 'Error' : 'Schema diff'}
              </button>
            ) : null}
            {canDeploy && d.rollbackTarget && d.status === 'superseded' ? (
              <button
                type="button"
                className="secondary"
                disabled={rollingBack}
                onClick={onRollback}
                data-testid={`rollback-${d.id}`}
              >
                Roll back
              </button>
            ) : null}
          </div>
        </td>
      </tr>
      {expanded && hasDetails ? (
        <tr className="details" data-testid={`deployment-details-${d.id}`}>
          <td colSpan={6}>
            {d.error !== null ? (
              <pre className="error-text" data-testid={`deployment-error-${d.id}`}>
                {d.error}
              </pre>
            ) : null}
            {d.schemaDiff !== null ? (
              <pre data-testid={`diff-${d.id}`}>{d.schemaDiff === '' ? '(no schema changes)' : d.schemaDiff}</pre>
            ) : null}
          </td>
        </tr>
      ) : null}
    </Fragment>
  );
}

export function DeploymentsPanel({ orgSlug, appName, role }: { orgSlug: string; appName: string; role: OrgRoleName }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const listKey = trpc.deployment.list.queryKey({ orgSlug, appName });
  const deployments = useQuery(
    trpc.deployment.list.queryOptions(
      { orgSlug, appName },
      // Poll while anything is still moving; stop once every deployment is final.
      { refetchInterval: (query) => (query.state.data?.some((d) => !d.final) === true ? POLL_MS : false) },
    ),
  );
  const [selected, setSelected] = useState<string | null>(null);
  const [expanded, setExpanded] = useState<ReadonlySet<string>>(new Set());
  const refresh = () => queryClient.invalidateQueries({ queryKey: listKey });
  const rollback = useMutation(
    trpc.deployment.rollback.mutationOptions({
      onSuccess: async (created) => {
        setSelected(created.id);
        await refresh();
      },
    }),
  );
  const canDeploy = hasRole(role, 'developer');

  const rows = deployments.data ?? [];
  const shown = selected ?? rows[0]?.id ?? null;
  const running = rows.filter((d) => !d.final).length;

  return (
    <section data-testid="deployments-panel">
      <h2>Deployments</h2>
      {canDeploy ? (
        <UploadForm
          orgSlug={orgSlug}
          appName={appName}
          onUploaded={(id) => {
            setSelected(id);
            void refresh();
          }}
        />
      ) : (
        <p className="muted">Viewers cannot deploy.</p>
      )}
      {running > 0 ? (
        <p className="notice info" role="status" data-testid="deploy-running">
          <span className="spinner" aria-hidden="true" /> {running} deployment{running === 1 ? '' : 's'} in progress
        </p>
      ) : null}
      {deployments.isPending ? (
        <Loading label="Loading deployments…" testId="deployments-loading" />
      ) : deployments.isError ? (
        <ErrorNotice error={deployments.error} testId="deployments-error" onRetry={() => void deployments.refetch()} />
      ) : rows.length === 0 ? (
        <p className="empty" data-testid="deployments-empty">
          No deployments yet.{' '}
          {canDeploy ? 'Upload a project archive above, push to the git source, or use stoa deploy.' : null}
        </p>
      ) : (
        <table className="table" data-testid="deployments-table">
          <thead>
            <tr>
              <th>Status</th>
              <th>Source</th>
              <th>Who</th>
              <th>Created</th>
              <th>Finished</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {rows.map((d) => (
              <DeploymentRows
                key={d.id}
                deployment={d}
                expanded={expanded.has(d.id)}
                selected={d.id === shown}
                canDeploy={canDeploy}
                rollingBack={rollback.isPending}
                onSelect={() => setSelected(d.id)}
                onToggle={() =>
                  setExpanded((set) => {
                    const next = new Set(set);
                    if (!next.delete(d.id)) next.add(d.id);
                    return next;
                  })
                }
                onRollback={() => rollback.mutate({ orgSlug, appName, deploymentId: d.id })}
              />
            ))}
          </tbody>
        </table>
      )}
      <FormError error={rollback.error} testId="rollback-error" />
      {shown !== null ? (
        <>
          <h3>
            Log of <code>{shown.slice(0, 8)}</code>
          </h3>
          <DeployLogPanel key={shown} deploymentId={shown} onEnd={() => void refresh()} />
        </>
      ) : null}
    </section>
  );
}
