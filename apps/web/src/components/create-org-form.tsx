'use client';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useRouter } from 'next/navigation';
import { useState, type FormEvent } from 'react';
import { useTRPC } from '../lib/trpc';
import { FormError } from './status';

/** Suggests a slug from a name: "Acme Corp." → "acme-corp". */
function slugFromName(name: string): string {
  return name
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 63);
}

export function CreateOrgForm() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const router = useRouter();
  const [name, setName] = useState('');
  const [slug, setSlug] = useState('');
  const [slugEdited, setSlugEdited] = useState(false);
  const create = useMutation(
    trpc.org.create.mutationOptions({
      onSuccess: async (org) => {
        await queryClient.invalidateQueries({ queryKey: trpc.org.listMine.queryKey() });
        router.push(`/orgs/${org.slug}`);
      },
    }),
  );

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    create.mutate({ name, slug });
  }

  return (
    <form className="card form" onSubmit={submit} data-testid="create-org-form">
      <h2>Create an organisation</h2>
      <label>
        Name
        <input
          name="name"
          value={name}
          required
          maxLength={100}
          data-testid="org-name-input"
          onChange={(e) => {
            setName(e.target.value);
            if (!slugEdited) setSlug(slugFromName(e.target.value));
          }}
        />
      </label>
      <label>
        Slug <small>(the owner in your apps&apos; URLs: /api/v2/apps/{slug || 'slug'}/app)</small>
        <input
          name="slug"
          value={slug}
          required
          pattern="[a-z0-9][a-z0-9_\-]{0,62}"
          data-testid="org-slug-input"
          onChange={(e) => {
            setSlug(e.target.value);
            setSlugEdited(true);
          }}
        />
      </label>
      <button type="submit" disabled={create.isPending} data-testid="create-org-submit">
        {create.isPending ? 'Creating…' : 'Create organisation'}
      </button>
      <FormError error={create.error} testId="create-org-error" />
    </form>
  );
}
