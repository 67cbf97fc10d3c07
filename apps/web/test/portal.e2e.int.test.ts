// Browser smoke test of the built portal: `next build --webpack`, `next start` on a free port
// against a fresh migrated database, Debian's Chromium driven by playwright-core.
// sign up → sign in → create org → create app (listed, with its page) → invite → the invitee joins.
// Screenshots: apps/web/.test-results/screenshots/.
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createTestDatabase, type TestDatabase } from '@stoa/db/testing';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPortal, findFreePort, startPortal, WEB_DIR, type RunningPortal } from './setup-web';

const SCREENSHOTS = join(WEB_DIR, '.test-results', 'screenshots');
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

describe('portal in a browser', () => {
  let database: TestDatabase | undefined;
  let portal: RunningPortal | undefined;
  let browser: Browser | undefined;
  let buildMs = 0;

  beforeAll(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    // Both at once; allSettled so a failed build still leaves `database` set for afterAll to drop.
    const [db, build] = await Promise.allSettled([createTestDatabase(), buildPortal()]);
    if (db.status === 'rejected') throw db.reason;
    database = db.value;
    if (build.status === 'rejected') throw build.reason;
    buildMs = build.value.ms;
    const port = await findFreePort();
    portal = await startPortal(port, {
      DATABASE_URL: db.value.databaseUrl,
      // next-auth builds its callback URLs from this; it must be the served origin, port included.
      NEXTAUTH_URL: `http://127.0.0.1:${port}`,
      NEXTAUTH_SECRET: randomBytes(32).toString('base64url'),
    });
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  });

  afterAll(async () => {
    await browser?.close();
    await portal?.stop();
    await database?.drop();
  });

  async function shoot(page: Page, name: string): Promise<void> {
    await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
  }

  it('sends signed-out visitors to the sign-in page', async () => {
    const res = await fetch(`${portal!.origin}/orgs/anything`, { redirect: 'manual' });
    expect(res.status).toBeGreaterThanOrEqual(300);
    expect(res.status).toBeLessThan(400);
    expect(res.headers.get('location')).toContain('/signin?callbackUrl=%2Forgs%2Fanything');
  });

  /** Signs up and signs in through the pages; ends on the page sign-in leads to. */
  async function signUpAndIn(page: Page, name: string, email: string, password: string, shots: boolean) {
    await page.goto('/signup');
    await page.getByTestId('signup-name').fill(name);
    await page.getByTestId('signup-email').fill(email);
    await page.getByTestId('signup-password').fill(password);
    if (shots) await shoot(page, '01-sign-up');
    await page.getByTestId('signup-submit').click();
    await page.getByTestId('signup-done').waitFor();
    expect(new URL(page.url()).pathname).toBe('/signin');
    expect(await page.getByTestId('signin-email').inputValue()).toBe(email);

    if (shots) {
      // A wrong password says only that the pair is wrong.
      await page.getByTestId('signin-password').fill('not-the-password');
      await page.getByTestId('signin-submit').click();
      await expect.poll(() => page.getByTestId('signin-error').textContent()).toBe('Email or password is incorrect.');
      await shoot(page, '02-sign-in-failed');
    }

    await page.getByTestId('signin-password').fill(password);
    await page.getByTestId('signin-submit').click();
    await page.getByTestId('create-org-form').waitFor();
    await expect.poll(() => new URL(page.url()).pathname).toBe('/');
  }

  it('sign up → sign in → create org → create app → invite a member', async () => {
    expect(buildMs).toBeGreaterThan(0);
    const context = await browser!.newContext({ baseURL: portal!.origin, viewport: { width: 1200, height: 800 } });
    const page = await context.newPage();
    const email = `e2e-${randomBytes(4).toString('hex')}@example.test`;
    await signUpAndIn(page, 'Erin Example', email, 'e2e-password-123', true);
    await shoot(page, '03-no-org-yet');

    const slug = `e2e-${randomBytes(3).toString('hex')}`;
    await page.getByTestId('org-name-input').fill('E2E Org');
    await page.getByTestId('org-slug-input').fill(slug);
    await page.getByTestId('create-org-submit').click();
    await page.getByTestId('apps-empty').waitFor();
    expect(new URL(page.url()).pathname).toBe(`/orgs/${slug}`);
    expect(await page.getByTestId('my-role').textContent()).toBe('owner');
    expect(await page.getByTestId('org-switcher').inputValue()).toBe(slug);

    await page.getByTestId('app-name-input').fill('todo');
    await page.getByTestId('create-app-submit').click();
    await page.getByTestId('app-row-todo').waitFor();
    expect(await page.getByTestId('apps-list').locator('li').count()).toBe(1);
    expect(await page.getByTestId('app-row-todo').textContent()).toContain(`${slug}/todo`);
    await shoot(page, '04-app-created');

    await page.getByTestId('app-row-todo').getByRole('link', { name: 'todo' }).click();
    await page.getByTestId('app-page').waitFor();
    expect(await page.getByTestId('app-engine-path').textContent()).toBe(`${slug}/todo`);
    expect(await page.getByTestId('deployments-empty').isVisible()).toBe(true);
    await shoot(page, '05-app-page');

    // Invite a developer: the token is shown once, the invitation is listed.
    const inviteeEmail = `e2e-dev-${randomBytes(4).toString('hex')}@example.test`;
    await page.getByTestId('nav-members').click();
    await page.getByTestId(`member-row-${email}`).waitFor();
    await page.getByTestId('invite-email').fill(inviteeEmail);
    await page.getByTestId('invite-role').selectOption('developer');
    await page.getByTestId('invite-submit').click();
    const token = (await page.getByTestId('invite-token').textContent()) ?? '';
    expect(token).toMatch(/^stoa_inv_/);
    expect(await page.getByTestId('invite-link').textContent()).toBe(`${portal!.origin}/invite#${token}`);
    await page.getByTestId(`invitation-row-${inviteeEmail}`).waitFor();
    await shoot(page, '06-members-invited');

    // The invitee follows the link after signing up and lands in the org as a developer.
    const inviteeContext = await browser!.newContext({
      baseURL: portal!.origin,
      viewport: { width: 1200, height: 800 },
    });
    const invitee = await inviteeContext.newPage();
    await signUpAndIn(invitee, 'Dev Eloper', inviteeEmail, 'e2e-password-456', false);
    await invitee.goto(`/invite#${token}`);
    await expect.poll(() => invitee.getByTestId('invitation-token').inputValue()).toBe(token);
    await invitee.getByTestId('accept-invitation-submit').click();
    await invitee.getByTestId('apps-list').waitFor();
    expect(new URL(invitee.url()).pathname).toBe(`/orgs/${slug}`);
    expect(await invitee.getByTestId('my-role').textContent()).toBe('developer');
    await shoot(invitee, '07-invitee-joined');

    // The browsers did what the database says.
    const org = await database!.db.org.findUniqueOrThrow({
      where: { slug },
      include: { apps: true, memberships: { include: { user: true }, orderBy: { createdAt: 'asc' } } },
    });
    expect(org.apps.map((a) => a.name)).toEqual(['todo']);
    expect(org.memberships.map((m) => [m.user.email, m.role])).toEqual([
      [email, 'owner'],
      [inviteeEmail, 'developer'],
    ]);
    await inviteeContext.close();
    await context.close();
  });
});
