import { SignUpForm } from '../../components/sign-up-form';

export const metadata = { title: 'Sign up · Stoa' };

export default function SignUpPage() {
  return (
    <main className="narrow">
      <SignUpForm />
    </main>
  );
}
