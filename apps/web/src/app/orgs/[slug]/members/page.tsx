import { MembersView } from '../../../../components/members-view';
import { requireActor } from '../../../../server/auth/require-actor';

export default async function MembersPage({ params }: { params: Promise<{ slug: string }> }) {
  const { slug } = await params;
  const actor = await requireActor(`/orgs/${slug}/members`);
  return <MembersView orgSlug={slug} myUserId={actor.userId} />;
}
