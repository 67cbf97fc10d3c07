import { CreateOrgForm } from '../../../components/create-org-form';
import { OrgHeader } from '../../../components/org-header';
import { requireActor } from '../../../server/auth/require-actor';

export const dynamic = 'force-dynamic';

export default async function NewOrgPage() {
  const actor = await requireActor('/orgs/new');
  return (
    <>
      <OrgHeader userName={actor.name} />
      <main className="narrow">
        <CreateOrgForm />
      </main>
    </>
  );
}
