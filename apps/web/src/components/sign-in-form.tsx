'use client';
import { signIn } from 'next-auth/react';
import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { useState, type FormEvent } from 'react';

/** Only paths of this site: a `callbackUrl` must not send the user elsewhere after sign-in. */
function safeReturnPath(value: string | undefined): string {
  return value !== undefined && value.startsWith('/') && !value.startsWith('//') ? value : '/';
}

export function SignInForm(props: { callbackUrl?: string; email?: string; registered: boolean }) {
  const router = useRouter();
  const [email, setEmail] = useState(props.email ?? '');
  const [password, setPassword] = useState('');
  const [pending, setPending] = useState(false);
  const [failure, setFailure] = useState<string | null>(null);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setPending(true);
    setFailure(null);
    try {
      const result = await signIn('credentials', { email, password, redirect: false });
      if (result?.ok === true && result.error === null) {
        router.replace(safeReturnPath(props.callbackUrl));
        router.refresh();
        return;
      }
      // The same words for an unknown email and a wrong password (next-auth's CredentialsSignin).
      setFailure(
        result?.error === 'CredentialsSignin' ? 'Email or password is incorrect.' : 'Sign-in failed; try again.',
      );
    } catch {
      setFailure('The portal cannot be reached; try again.');
    } finally {
      setPending(false);
    }
  }

  return (
    <form className="card form" onSubmit={(e) => void submit(e)} data-testid="signin-form">
      <h1>Sign in to Stoa</h1>
      {props.registered ? (
        <p className="notice success" data-testid="signup-done">
          Your account is ready. Sign in to continue.
        </p>
      ) : null}
      <label>
        Email
        <input
          type="email"
          name="email"
          autoComplete="email"
          required
          value={email}
          onChange={(e) => setEmail(e.target.value)}
          data-testid="signin-email"
        />
      </label>
      <label>
        Password
        <input
          type="password"
          name="password"
          autoComplete="current-password"
          required
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          data-testid="signin-password"
        />
      </label>
      <button type="submit" disabled={pending} data-testid="signin-submit">
        {pending ? 'Signing in…' : 'Sign in'}
      </button>
      {failure !== null ? (
        <p className="form-error" role="alert" data-testid="signin-error">
          {failure}
        </p>
      ) : null}
      <p className="muted">
        No account? <Link href="/signup">Sign up</Link>
      </p>
    </form>
  );
}
