import { AcceptInvitation } from '../../components/accept-invitation';

export const metadata = { title: 'Accept invitation · Stoa' };

export default function InvitePage() {
  return (
    <main className="narrow">
      <AcceptInvitation />
    </main>
  );
}
