/**
 * next-auth v4: a credentials provider (email + password against the User table) and JWT
 * sessions carrying the user's id. next-auth never sees Prisma; `authenticateUser` does the
 * checking and answers null for every failure alike, so the sign-in page can only say
 * "email or password is incorrect".
 */
import type { NextAuthOptions } from 'next-auth';
import CredentialsProvider from 'next-auth/providers/credentials';
import type { Db } from '@stoa/db';
import { authenticateUser } from '../domain/users';

export const SESSION_MAX_AGE_SECONDS = 7 * 24 * 60 * 60;

export function createAuthOptions(deps: { readonly db: Db; readonly secret: string }): NextAuthOptions {
  return {
    secret: deps.secret,
    session: { strategy: 'jwt', maxAge: SESSION_MAX_AGE_SECONDS },
    pages: { signIn: '/signin' },
    providers: [
      CredentialsProvider({
        name: 'Email and password',
        credentials: {
          email: { label: 'Email', type: 'email' },
          password: { label: 'Password', type: 'password' },
        },
        async authorize(credentials) {
          const email = typeof credentials?.email === 'string' ? credentials.email : '';
          const password = typeof credentials?.password === 'string' ? credentials.password : '';
          if (email === '' || password === '') return null;
          return authenticateUser(deps.db, { email, password });
        },
      }),
    ],
    callbacks: {
      jwt({ token, user }) {
        // `user` is set only at sign-in; `sub` then carries the user's id for the session's life.
        if (user !== undefined) token.sub = user.id;
        return token;
      },
      session({ session, token }) {
        return {
          ...session,
          user: { id: token.sub ?? '', email: token.email ?? null, name: token.name ?? null },
        };
      },
    },
  };
}
