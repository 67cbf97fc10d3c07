import { TokensView } from '../../../../components/tokens-view';

export default async function TokensPage({ params }: { params: Promise<{ slug: string }> }) {
  const { slug } = await params;
  return <TokensView orgSlug={slug} />;
}
