import { AppView } from '../../../../../components/app-view';

export default async function AppPage({ params }: { params: Promise<{ slug: string; app: string }> }) {
  const { slug, app } = await params;
  return <AppView orgSlug={slug} appName={app} />;
}
