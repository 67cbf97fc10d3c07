'use client';
// The admin area's engine nodes: register, health-check (the node's /readyz), remove.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { useTRPC } from '../lib/trpc';
import { ErrorNotice, FormError, Loading } from './status';

export function NodesView() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const nodes = useQuery(trpc.node.list.queryOptions());
  const invalidate = () => queryClient.invalidateQueries({ queryKey: trpc.node.list.queryKey() });
  const [url, setUrl] = useState('');
  const [name, setName] = useState('');
  const [details, setDetails] = useState<Readonly<Record<string, string>>>({});
  const register = useMutation(
    trpc.node.register.mutationOptions({
      onSuccess: async () => {
        setUrl('');
        setName('');
        await invalidate();
      },
    }),
  );
  const check = useMutation(
    trpc.node.check.mutationOptions({
      onSuccess: async (result) => {
        setDetails((d) => ({ ...d, [result.node.id]: result.detail }));
        await invalidate();
      },
    }),
  );
  const remove = useMutation(trpc.node.remove.mutationOptions({ onSettled: invalidate }));

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    register.mutate({ url, ...(name.trim() === '' ? {} : { name }) });
  }

  return (
    <section className="page" data-testid="nodes-page">
      <h1>Engine nodes</h1>
      <p className="muted">
        Deploys roll out to every node listed here. STOA_ENGINE_URLS registers its nodes at start.
      </p>
      <form className="inline-form" onSubmit={submit} data-testid="register-node-form">
        <label>
          Admin API URL
          <input
            required
            placeholder="https://engine-1.internal:8080"
            value={url}
            onChange={(e) => setUrl(e.target.value)}
            data-testid="node-url"
            size={36}
          />
        </label>
        <label>
          Name <small>(optional)</small>
          <input value={name} onChange={(e) => setName(e.target.value)} data-testid="node-name" />
        </label>
        <button type="submit" disabled={register.isPending} data-testid="register-node-submit">
          {register.isPending ? 'Registering…' : 'Register'}
        </button>
        <FormError error={register.error} testId="register-node-error" />
      </form>
      {nodes.isPending ? (
        <Loading label="Loading nodes…" />
      ) : nodes.isError ? (
        <ErrorNotice error={nodes.error} testId="nodes-error" onRetry={() => void nodes.refetch()} />
      ) : nodes.data.length === 0 ? (
        <p className="empty" data-testid="nodes-empty">
          No engine nodes: deploys cannot roll out anywhere yet.
        </p>
      ) : (
        <table className="table" data-testid="nodes-table">
          <thead>
            <tr>
              <th>Name</th>
              <th>URL</th>
              <th>Health</th>
              <th>Last seen</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {nodes.data.map((node) => (
              <tr key={node.id} data-testid={`node-row-${node.name}`}>
                <td>{node.name}</td>
                <td>
                  <code>{node.url}</code>
                </td>
                <td>
                  <span className={`badge health-${node.lastStatus}`} data-testid={`node-status-${node.name}`}>
                    {node.lastStatus}
                  </span>
                  {details[node.id] !== undefined ? <div className="muted small">{details[node.id]}</div> : null}
                </td>
                <td>{node.lastSeenAt === null ? 'never' : new Date(node.lastSeenAt).toLocaleString()}</td>
                <td>
                  <div className="actions">
                    <button
                      type="button"
                      className="secondary"
                      disabled={check.isPending && check.variables.nodeId === node.id}
                      onClick={() => check.mutate({ nodeId: node.id })}
                      data-testid={`check-node-${node.name}`}
                    >
                      {check.isPending && check.variables.nodeId === node.id ? 'Checking…' : 'Check'}
                    </button>
                    <button
                      type="button"
                      className="secondary"
                      disabled={remove.isPending}
                      onClick={() => remove.mutate({ nodeId: node.id })}
                      data-testid={`remove-node-${node.name}`}
                    >
                      Remove
                    </button>
                  </div>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <FormError error={check.error ?? remove.error} testId="node-action-error" />
    </section>
  );
}
