import type { ReactNode } from 'react';
import { OrgHeader } from '../../components/org-header';
import { requireActor } from '../../server/auth/require-actor';

export const dynamic = 'force-dynamic';

/**
 * The platform's admin area. Only platform administrators see it; the procedures behind it check
 * the same (FORBIDDEN), so this page is a courtesy, not the guard.
 */
export default async function AdminLayout({ children }: { children: ReactNode }) {
  const actor = await requireActor('/admin/nodes');
  return (
    <>
      <OrgHeader userName={actor.name} isAdmin={actor.isAdmin} />
      <main>
        {actor.isAdmin ? (
          children
        ) : (
          <div className="notice error" role="alert" data-testid="admin-forbidden">
            <p>The admin area is for platform administrators.</p>
          </div>
        )}
      </main>
    </>
  );
}
