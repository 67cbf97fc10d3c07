// Browser steps the portal tests share (playwright-core pages on the portal's test ids).
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { expect } from 'vitest';
import { WEB_DIR } from './setup-web';

export const SCREENSHOTS = join(WEB_DIR, '.test-results', 'screenshots');

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/** A full-page screenshot under apps/web/.test-results/screenshots/ (the artifacts). */
export async function shoot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

/** Signs in through the page; ends once the signed-in home page shows. */
export async function signIn(page: Page, email: string, password: string): Promise<void> {
  if (new URL(page.url()).pathname !== '/signin') await page.goto('/signin');
  await page.getByTestId('signin-email').fill(email);
  await page.getByTestId('signin-password').fill(password);
  await page.getByTestId('signin-submit').click();
  // scrypt + the session redirect: seconds on a loaded machine.
  await page.waitForURL((url) => url.pathname === '/', { timeout: 30_000 });
}

/** Signs up and signs in through the pages; ends on the page sign-in leads to (no org yet). */
export async function signUpAndIn(
  page: Page,
  user: { name: string; email: string; password: string },
  shots = false,
): Promise<void> {
  await page.goto('/signup');
  await page.getByTestId('signup-name').fill(user.name);
  await page.getByTestId('signup-email').fill(user.email);
  await page.getByTestId('signup-password').fill(user.password);
  if (shots) await shoot(page, '01-sign-up');
  await page.getByTestId('signup-submit').click();
  await page.getByTestId('signup-done').waitFor();
  expect(new URL(page.url()).pathname).toBe('/signin');
  expect(await page.getByTestId('signin-email').inputValue()).toBe(user.email);

  if (shots) {
    // A wrong password says only that the pair is wrong.
    await page.getByTestId('signin-password').fill('not-the-password');
    await page.getByTestId('signin-submit').click();
    await expect.poll(() => page.getByTestId('signin-error').textContent()).toBe('Email or password is incorrect.');
    await shoot(page, '02-sign-in-failed');
  }
  await signIn(page, user.email, user.password);
  await page.getByTestId('create-org-form').waitFor();
}

/** Creates an org and an app in it from the org form, and opens the app's page. */
export async function createOrgWithApp(page: Page, org: { name: string; slug: string }, app: string): Promise<void> {
  await page.getByTestId('org-name-input').fill(org.name);
  await page.getByTestId('org-slug-input').fill(org.slug);
  await page.getByTestId('create-org-submit').click();
  await page.getByTestId('app-name-input').fill(app);
  await page.getByTestId('create-app-submit').click();
  await page.getByTestId(`app-row-${app}`).getByRole('link', { name: app }).click();
  await page.getByTestId('app-page').waitFor();
}

/** Uploads a project archive through the app page's form. */
export async function uploadArchive(page: Page, name: string, zip: Buffer): Promise<void> {
  await page.getByTestId('upload-file').setInputFiles({ name, mimeType: 'application/zip', buffer: zip });
  await page.getByTestId('upload-submit').click();
}

/**
 * What the xterm terminal shows (non-breaking spaces as spaces): its last `rows` lines. xterm pauses
 * rendering while the terminal is out of view (IntersectionObserver), so it is scrolled into view
 * first — a long deployments table pushes it below the fold.
 */
export async function terminalText(page: Page): Promise<string> {
  const terminal = page.getByTestId('deploy-terminal');
  await terminal.scrollIntoViewIfNeeded();
  return (await terminal.locator('.xterm-rows').innerText()).replace(/\u00a0/g, ' ');
}

/**
 * Waits until the log panel of `deploymentId` shows its result (`live`/`failed`); on a timeout
 * the error carries the terminal and `diagnostics()` (e.g. the worker's output).
 */
export async function waitForLogResult(
  page: Page,
  deploymentId: string,
  diagnostics: () => string,
  timeoutMs = 90_000,
): Promise<string> {
  const panel = page.locator(`[data-testid="deploy-log-panel"][data-deployment="${deploymentId}"]`);
  try {
    await panel.getByTestId('deploy-log-result').waitFor({ timeout: timeoutMs });
  } catch (error) {
    throw new Error(`no result for ${deploymentId}:\nterminal:\n${await terminalText(page)}\n${diagnostics()}`, {
      cause: error,
    });
  }
  return panel.getByTestId('deploy-log-result').innerText();
}
