import { NodesView } from '../../../components/nodes-view';

export default function NodesPage() {
  return <NodesView />;
}
