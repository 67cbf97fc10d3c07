import { SignInForm } from '../../components/sign-in-form';

export const metadata = { title: 'Sign in · Stoa' };

type SearchParams = Promise<Record<string, string | string[] | undefined>>;

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

export default async function SignInPage({ searchParams }: { searchParams: SearchParams }) {
  const params = await searchParams;
  const callbackUrl = first(params.callbackUrl);
  const email = first(params.email);
  return (
    <main className="narrow">
      <SignInForm
        {...(callbackUrl === undefined ? {} : { callbackUrl })}
        {...(email === undefined ? {} : { email })}
        registered={first(params.registered) === '1'}
      />
    </main>
  );
}
