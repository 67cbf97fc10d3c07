import Link from 'next/link';
import { redirect } from 'next/navigation';
import { CreateOrgForm } from '../components/create-org-form';
import { OrgHeader } from '../components/org-header';
import { requireActor } from '../server/auth/require-actor';
import { getDb } from '../server/db';
import { listMyOrgs } from '../server/domain/orgs';

export const dynamic = 'force-dynamic';

/** Home: the first org of the user, or — for a user in none — the form to create one. */
export default async function HomePage() {
  const actor = await requireActor('/');
  const orgs = await listMyOrgs(getDb(), actor);
  const first = orgs[0];
  if (first !== undefined) redirect(`/orgs/${first.slug}`);
  return (
    <>
      <OrgHeader userName={actor.name} isAdmin={actor.isAdmin} />
      <main className="narrow" data-testid="welcome">
        <p>Welcome, {actor.name}. You are not in any organisation yet.</p>
        <CreateOrgForm />
        <p className="muted">
          Invited to one? <Link href="/invite">Accept the invitation</Link>.
        </p>
      </main>
    </>
  );
}
