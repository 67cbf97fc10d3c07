import { AppsView } from '../../../components/apps-view';

export default async function OrgPage({ params }: { params: Promise<{ slug: string }> }) {
  const { slug } = await params;
  return <AppsView orgSlug={slug} />;
}
