import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { once } from 'node:events';
import { createServer, type RequestListener } from 'node:http';
import type { AddressInfo, Server } from 'node:net';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { REPO_ROOT } from '#shared/paths';
import { startTestApi, type TestApi } from '#shared/testing/test-api';
import { startTestAdmin, type TestAdmin } from './support/test-admin';

/**
 * The console end to end in a real browser: Debian's chromium (installed
 * here with apt-get when missing; nothing downloads a browser of its own)
 * driven by playwright-core. An admin creates an account, a node registers
 * through the public API, the binding shows in the console, the admin
 * releases it after confirming, attempts and audit show it all, and a viewer
 * finds no change control. Screenshots go to test-results/console/ (ignored
 * by git); any console error or failed request in the page fails the test.
 */
const CHROMIUM = '/usr/bin/chromium';
const SHOTS = path.join(REPO_ROOT, 'test-results', 'console');

function ensureChromium(): void {
  if (existsSync(CHROMIUM)) return;
  execFileSync('apt-get', ['update'], { stdio: 'ignore' });
  execFileSync('apt-get', ['install', '-y', '--no-install-recommends', 'chromium'], {
    stdio: 'ignore',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
}

async function listen(app: RequestListener): Promise<{ server: Server; url: string }> {
  const server = createServer(app);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

describe('the staff console in a browser', function () {
  this.timeout(120_000);
  let admin: TestAdmin;
  let api: TestApi;
  let adminServer: { server: Server; url: string };
  let apiServer: { server: Server; url: string };
  let browser: Browser;
  const problems: string[] = [];

  before(async function () {
    ensureChromium();
    mkdirSync(SHOTS, { recursive: true });
    admin = await startTestAdmin();
    api = await startTestApi();
    adminServer = await listen(admin.app);
    apiServer = await listen(api.app);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  });
  after(async function () {
    await browser.close();
    adminServer.server.close();
    apiServer.server.close();
    await api.close();
    await admin.close();
  });

  async function openPage(): Promise<Page> {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console: ${message.text()}`);
    });
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('requestfailed', (request) => problems.push(`request failed: ${request.url()} ${request.failure()?.errorText ?? ''}`));
    await page.goto(`${adminServer.url}/admin/`);
    return page;
  }

  async function logIn(page: Page, credentials: { email: string; password: string }): Promise<void> {
    await page.getByLabel('Email').fill(credentials.email);
    await page.getByLabel('Password').fill(credentials.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Accounts' }).waitFor();
  }

  const shot = (page: Page, name: string) => page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });

  it('takes an admin from a new account to a released binding, and shows a viewer no change control', async function () {
    const name = `e2e-${Date.now()}`;
    const page = await openPage();
    await page.getByLabel('Email').waitFor();
    await shot(page, '01-login');
    await logIn(page, await admin.createStaff('admin'));
    await shot(page, '02-accounts');

    await page.getByRole('link', { name: 'Create account' }).click();
    await page.getByLabel('Account name').fill(name);
    await page.getByLabel('Password', { exact: true }).fill('S3cret!');
    await page.getByLabel('Certified version').fill('11.0');
    await page.getByLabel('Expires on').fill('2099-12-31');
    await page.getByLabel('Seats (max registrations)').fill('3');
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByText(`Account ${name} created.`).waitFor();

    const registered = await fetch(`${apiServer.url}/v1/registrations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        account: name,
        password: 'S3cret!',
        appVersion: '11.0.3',
        nodes: [{ nodeId: 'node-1', ip: '203.0.113.7', appName: 'webroot', machineCode: 'M-1' }],
      }),
    });
    assert.equal(registered.status, 200);
    // Attempts are written off the request path, once a second: write them now.
    await api.deps.attempts.flush();

    await page.goto(`${adminServer.url}/admin/#/accounts/${name}/certificate`);
    await page.getByLabel('Certified version').waitFor();
    await shot(page, '03-account');
    await page.getByRole('link', { name: 'Bindings' }).click();
    await page.getByText('M-1').first().waitFor();
    await shot(page, '04-bindings');
    await page.getByRole('button', { name: 'Release machine M-1' }).click();
    await shot(page, '05-release-confirmation');
    await page.getByRole('dialog').getByRole('button', { name: 'Release machine' }).click();
    await page.getByText('Released machine M-1.').waitFor();

    await page.getByRole('link', { name: 'Attempts' }).click();
    await page.getByText('registration').first().waitFor();
    await shot(page, '06-attempts');
    await page.getByRole('link', { name: 'Audit' }).click();
    await page.getByText('binding.release').first().waitFor();
    await page.getByText('account.create').first().waitFor();
    await shot(page, '07-audit');

    const viewerPage = await openPage();
    await logIn(viewerPage, await admin.createStaff('viewer'));
    await viewerPage.goto(`${adminServer.url}/admin/#/accounts/${name}/certificate`);
    await viewerPage.getByText(name).first().waitFor();
    await shot(viewerPage, '08-viewer-account');
    for (const control of ['Save changes', 'Change status', 'Reset password']) {
      const button = viewerPage.getByRole('button', { name: control });
      assert.ok((await button.count()) === 0 || (await button.isDisabled()), `${control} is not offered to a viewer`);
    }
    assert.equal(await viewerPage.getByRole('link', { name: 'Create account' }).count(), 0);
    assert.deepEqual(problems, []);
  });
});
