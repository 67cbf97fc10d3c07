'use client';
// The app's git source (admins and owners): repository, branch, the webhook URL to paste into the
// repository's settings, and the webhook secret — shown once, when created or rotated.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState, type FormEvent } from 'react';
import { useTRPC } from '../lib/trpc';
import { ErrorNotice, FormError, Loading } from './status';

function SecretOnce({ secret }: { secret: string }) {
  return (
    <div className="notice success token" data-testid="webhook-secret-box">
      <p>
        Webhook secret — shown <strong>only once</strong>. Paste it into the webhook&apos;s &quot;Secret&quot; field:
      </p>
      <code data-testid="webhook-secret">{secret}</code>
    </div>
  );
}

export function GitSourceSettings({ orgSlug, appName }: { orgSlug: string; appName: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const source = useQuery(trpc.gitSource.get.queryOptions({ orgSlug, appName }));
  const [repoUrl, setRepoUrl] = useState('');
  const [branch, setBranch] = useState('main');
  const [secret, setSecret] = useState<string | null>(null);
  const invalidate = () =>
    queryClient.invalidateQueries({ queryKey: trpc.gitSource.get.queryKey({ orgSlug, appName }) });
  const set = useMutation(
    trpc.gitSource.set.mutationOptions({
      onSuccess: async (result) => {
        if (result.webhookSecret !== null) setSecret(result.webhookSecret);
        await invalidate();
      },
    }),
  );
  const rotate = useMutation(
    trpc.gitSource.rotateSecret.mutationOptions({
      onSuccess: async (result) => {
        setSecret(result.webhookSecret);
        await invalidate();
      },
    }),
  );

  const loaded = source.data;
  useEffect(() => {
    if (loaded !== undefined && loaded !== null) {
      setRepoUrl(loaded.repoUrl);
      setBranch(loaded.branch);
    }
  }, [loaded]);

  if (source.isPending) return <Loading label="Loading the git source…" testId="git-source-loading" />;
  if (source.isError) {
    return <ErrorNotice error={source.error} testId="git-source-error" onRetry={() => void source.refetch()} />;
  }

  const current = source.data;

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    set.mutate({ orgSlug, appName, repoUrl, branch });
  }

  const origin = typeof window === 'undefined' ? '' : window.location.origin;
  return (
    <div data-testid="git-source">
      <form className="inline-form" onSubmit={submit} data-testid="git-source-form">
        <label>
          Repository URL
          <input
            required
            placeholder="https://github.com/acme/todo.git"
            value={repoUrl}
            onChange={(e) => setRepoUrl(e.target.value)}
            data-testid="git-repo-url"
            size={40}
          />
        </label>
        <label>
          Branch
          <input required value={branch} onChange={(e) => setBranch(e.target.value)} data-testid="git-branch" />
        </label>
        <button type="submit" disabled={set.isPending} data-testid="git-source-submit">
          {set.isPending ? 'Saving…' : current === null ? 'Connect' : 'Save'}
        </button>
        <FormError error={set.error ?? rotate.error} testId="git-source-form-error" />
      </form>
      {current !== null ? (
        <dl className="facts" data-testid="git-source-facts">
          <dt>Webhook URL</dt>
          <dd>
            <code data-testid="webhook-url">
              {origin}
              {current.webhookPath}
            </code>
          </dd>
          <dt>Content type</dt>
          <dd>
            <code>application/json</code>, events: <code>push</code> (pushes to <code>{current.branch}</code> deploy)
          </dd>
          <dt>Secret</dt>
          <dd>
            set ·{' '}
            <button
              type="button"
              className="secondary"
              disabled={rotate.isPending}
              onClick={() => rotate.mutate({ orgSlug, appName })}
              data-testid="rotate-secret"
            >
              {rotate.isPending ? 'Rotating…' : 'Rotate secret'}
            </button>
          </dd>
        </dl>
      ) : (
        <p className="empty" data-testid="git-source-empty">
          No git source. Connect a repository to deploy on every push to its branch.
        </p>
      )}
      {secret !== null ? <SecretOnce secret={secret} /> : null}
    </div>
  );
}
