/**
 * `npm start`'s seed of the portal (scripts/start.mjs runs it with tsx after the migrations): one
 * platform administrator, `admin@stoa.local`, created once with a random password that is printed
 * on stdout this one time (only its scrypt hash is stored). Later runs find the user and print
 * nothing but a reminder. Email and password rules are the portal's own (src/server/auth).
 *
 *   tsx apps/web/scripts/seed-admin.ts   (DATABASE_URL as for the portal)
 */
import { randomBytes } from 'node:crypto';
import { createDb } from '@stoa/db';
import { readEnv } from '../src/env';
import { hashPassword } from '../src/server/auth/password';

const ADMIN_EMAIL = 'admin@stoa.local';

const db = createDb({ databaseUrl: readEnv().databaseUrl });
try {
  const existing = await db.user.findUnique({ where: { email: ADMIN_EMAIL }, select: { id: true } });
  if (existing !== null) {
    process.stdout.write(`portal admin: ${ADMIN_EMAIL} (password printed when it was created)\n`);
  } else {
    // 18 random bytes → 24 URL-safe characters: well above the portal's minimum length.
    const password = randomBytes(18).toString('base64url');
    await db.user.create({
      data: { email: ADMIN_EMAIL, name: 'Administrator', passwordHash: await hashPassword(password), isAdmin: true },
    });
    process.stdout.write(`portal admin created: ${ADMIN_EMAIL} / ${password}   (shown once; store it now)\n`);
  }
} finally {
  await db.close();
}
