import { signUpInputSchema } from '../../../lib/validation';
import { signUp } from '../../domain/users';
import { publicProcedure, router } from '../init';

export const authRouter = router({
  /** Creates an account (nothing else); sign in afterwards with next-auth's credentials provider. */
  signUp: publicProcedure.input(signUpInputSchema).mutation(({ ctx, input }) => signUp(ctx.db, input)),
});
