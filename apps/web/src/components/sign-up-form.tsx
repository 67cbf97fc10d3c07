'use client';
import { useMutation } from '@tanstack/react-query';
import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { useState, type FormEvent } from 'react';
import { useTRPC } from '../lib/trpc';
import { MIN_PASSWORD_LENGTH } from '../lib/validation';
import { FormError } from './status';

export function SignUpForm() {
  const trpc = useTRPC();
  const router = useRouter();
  const [email, setEmail] = useState('');
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const signUp = useMutation(
    trpc.auth.signUp.mutationOptions({
      onSuccess: (user) => router.push(`/signin?registered=1&email=${encodeURIComponent(user.email)}`),
    }),
  );

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    signUp.mutate({ email, name, password });
  }

  return (
    <form className="card form" onSubmit={submit} data-testid="signup-form">
      <h1>Create your Stoa account</h1>
      <label>
        Name
        <input
          name="name"
          autoComplete="name"
          required
          maxLength={100}
          value={name}
          onChange={(e) => setName(e.target.value)}
          data-testid="signup-name"
        />
      </label>
      <label>
        Email
        <input
          type="email"
          name="email"
          autoComplete="email"
          required
          value={email}
          onChange={(e) => setEmail(e.target.value)}
          data-testid="signup-email"
        />
      </label>
      <label>
        Password <small>(at least {MIN_PASSWORD_LENGTH} characters)</small>
        <input
          type="password"
          name="password"
          autoComplete="new-password"
          required
          minLength={MIN_PASSWORD_LENGTH}
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          data-testid="signup-password"
        />
      </label>
      <button type="submit" disabled={signUp.isPending} data-testid="signup-submit">
        {signUp.isPending ? 'Creating account…' : 'Sign up'}
      </button>
      <FormError error={signUp.error} testId="signup-error" />
      <p className="muted">
        Have an account? <Link href="/signin">Sign in</Link>
      </p>
    </form>
  );
}
