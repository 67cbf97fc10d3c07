import { Loading } from '../../../components/status';

export default function OrgLoading() {
  return <Loading label="Loading…" testId="route-loading" />;
}
