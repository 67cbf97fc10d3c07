'use client';
import { useQuery } from '@tanstack/react-query';
import { signOut } from 'next-auth/react';
import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { useTRPC } from '../lib/trpc';

/** The switcher's "new organisation" entry; "+" cannot occur in a slug. */
const NEW_ORG = '+new';

/** The portal's top bar: org switcher, the org's sections, the user and sign-out. */
export function OrgHeader({
  currentSlug,
  userName,
  isAdmin = false,
}: {
  currentSlug?: string;
  userName: string;
  isAdmin?: boolean;
}) {
  const trpc = useTRPC();
  const router = useRouter();
  const orgs = useQuery(trpc.org.listMine.queryOptions());

  return (
    <header className="topbar" data-testid="org-header">
      <Link href="/" className="brand">
        Stoa
      </Link>
      <label className="switcher">
        <span className="sr-only">Organisation</span>
        {orgs.isPending ? (
          <span className="muted">Loading organisations…</span>
        ) : orgs.isError ? (
          <span className="form-error">Organisations unavailable</span>
        ) : (
          <select
            data-testid="org-switcher"
            value={currentSlug ?? ''}
            onChange={(e) => router.push(e.target.value === NEW_ORG ? '/orgs/new' : `/orgs/${e.target.value}`)}
          >
            {currentSlug === undefined ? (
              <option value="" disabled>
                Choose an organisation…
              </option>
            ) : null}
            {orgs.data.map((org) => (
              <option key={org.id} value={org.slug}>
                {org.name} ({org.slug})
              </option>
            ))}
            {currentSlug !== undefined && !orgs.data.some((o) => o.slug === currentSlug) ? (
              <option value={currentSlug}>{currentSlug}</option>
            ) : null}
            <option value={NEW_ORG}>+ New organisation</option>
          </select>
        )}
      </label>
      {currentSlug !== undefined ? (
        <nav className="sections">
          <Link href={`/orgs/${currentSlug}`} data-testid="nav-apps">
            Apps
          </Link>
          <Link href={`/orgs/${currentSlug}/members`} data-testid="nav-members">
            Members
          </Link>
          <Link href={`/orgs/${currentSlug}/tokens`} data-testid="nav-tokens">
            Access tokens
          </Link>
        </nav>
      ) : null}
      {isAdmin ? (
        <Link href="/admin/nodes" data-testid="nav-admin">
          Admin
        </Link>
      ) : null}
      <span className="spacer" />
      <span className="muted" data-testid="current-user">
        {userName}
      </span>
      <button
        type="button"
        className="secondary"
        data-testid="signout"
        onClick={() => void signOut({ callbackUrl: '/signin' })}
      >
        Sign out
      </button>
    </header>
  );
}
