import type { ReactNode } from 'react';
import { OrgHeader } from '../../../components/org-header';
import { requireActor } from '../../../server/auth/require-actor';

export const dynamic = 'force-dynamic';

/**
 * Signed-in pages of one org. Membership is not checked here: every query of the pages below goes
 * through org-scoped tRPC procedures, which answer NOT_FOUND to non-members.
 */
export default async function OrgLayout({
  children,
  params,
}: {
  children: ReactNode;
  params: Promise<{ slug: string }>;
}) {
  const { slug } = await params;
  const actor = await requireActor(`/orgs/${slug}`);
  return (
    <>
      <OrgHeader currentSlug={slug} userName={actor.name} isAdmin={actor.isAdmin} />
      <main>{children}</main>
    </>
  );
}
