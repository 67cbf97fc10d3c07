import NextAuth from 'next-auth/next';
import type { NextRequest } from 'next/server';
import { getAuthOptions } from '../../../../server/auth/session';

export const dynamic = 'force-dynamic';

interface RouteContext {
  params: Promise<{ nextauth: string[] }>;
}

// next-auth's App Router handler, with the options built on the first request (not at build time).
async function handle(req: NextRequest, context: RouteContext): Promise<Response> {
  return (await NextAuth(req, context, getAuthOptions())) as Response;
}

export { handle as GET, handle as POST };
