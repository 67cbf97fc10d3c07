// The session carries the user's id (set in auth-options.ts callbacks).
import type { DefaultSession } from 'next-auth';

declare module 'next-auth' {
  interface Session {
    user: { id: string } & NonNullable<DefaultSession['user']>;
  }
}
