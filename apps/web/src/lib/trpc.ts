'use client';
// The typed tRPC hooks for client components: `const trpc = useTRPC()` then
// `useQuery(trpc.app.list.queryOptions({ orgSlug }))`. Only the router's type crosses over.
import { createTRPCContext } from '@trpc/tanstack-react-query';
import type { AppRouter } from '../server/trpc/root';

export const { TRPCProvider, useTRPC } = createTRPCContext<AppRouter>();
