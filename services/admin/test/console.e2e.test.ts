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
import { API, startTestAdmin, type TestAdmin } from './support/test-admin';

/**
 * The console end to end in a real browser: Debian's chromium (installed
 * here with apt-get when missing; nothing downloads a browser of its own)
 * driven by playwright-core. An admin creates an account, a node registers
 * through the public API, the binding shows in the console, the admin
 * releases it after confirming, attempts and audit show it all, and a viewer
 * finds no change control. Then an admin subscribes a webhook endpoint, releases
 * machines several at once, retries a delivery and disables the endpoint, and a
 * viewer is offered neither page nor control. Screenshots go to
 * test-results/console/ (ignored by git); any console error or failed request
 * in the page fails the test.
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
    // Private targets allowed: the endpoint subscribed below is a loopback
    // address, which nothing delivers to (no worker runs here).
    admin = await startTestAdmin({ WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true' });
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
      if (message.type() === 'error') problems.push(`console: ${message.text()} (${message.location().url})`);
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

  /** A refusal the test asks for is logged by the browser like any failed load: take it off the list of problems. */
  function expectRefusal(status: number, url: string): void {
    const index = problems.findIndex((problem) => problem.includes(`status of ${status} `) && problem.endsWith(`${url})`));
    assert.ok(index !== -1, `the browser saw ${status} from ${url}: ${JSON.stringify(problems)}`);
    problems.splice(index, 1);
  }

  const shot = (page: Page, name: string) => page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });

  /** An account made through the API, with machines bound through the public API. */
  async function accountWithMachines(name: string, machineCodes: string[]): Promise<void> {
    const root = await admin.staffAgent('admin');
    await root.agent
      .post(`${API}/accounts`)
      .set('X-CSRF-Token', root.csrfToken)
      .send({ name, password: 'S3cret!', version: '11.0', expiresAt: '2099-12-31', maxRegistrations: machineCodes.length })
      .expect(201);
    const registered = await fetch(`${apiServer.url}/v1/registrations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        account: name,
        password: 'S3cret!',
        appVersion: '11.0.3',
        nodes: machineCodes.map((machineCode, index) => ({
          nodeId: `node-${index + 1}`,
          ip: '203.0.113.7',
          appName: 'webroot',
          machineCode,
        })),
      }),
    });
    assert.equal(registered.status, 200);
  }

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
  it('lets an admin subscribe a webhook, release machines together and retry a delivery, and offers a viewer neither', async function () {
    const name = `e2e-many-${Date.now()}`;
    const hookUrl = `http://127.0.0.1:9/regcloud-${Date.now()}`;
    await accountWithMachines(name, ['M-1', 'M-2', 'M-3']);
    const page = await openPage();
    await logIn(page, await admin.createStaff('admin'));

    await page.getByRole('link', { name: 'Webhooks' }).click();
    await page.getByRole('heading', { name: 'Webhooks' }).waitFor();
    const url = page.getByLabel('URL', { exact: true });
    const urlError = async () => page.locator(`#${(await url.getAttribute('id')) ?? ''}-error`).textContent();

    // No event type ticked is refused on the page; a scheme webhooks do not use by the server, beside the URL field.
    await url.fill('ftp://files.example/hook');
    await page.getByRole('button', { name: 'Add endpoint' }).click();
    await page.getByText('Choose at least one.').waitFor();
    await page.getByLabel('binding.released').check();
    await page.getByRole('button', { name: 'Add endpoint' }).click();
    await page.getByText('must be an http: or https: URL').waitFor();
    assert.equal(await url.getAttribute('aria-invalid'), 'true');
    assert.equal(await urlError(), 'must be an http: or https: URL');
    expectRefusal(422, `${adminServer.url}${API}/webhooks`);
    await shot(page, '09-webhook-url-refused');

    await url.fill(hookUrl);
    await page.getByLabel('account.changed').check();
    await page.getByRole('button', { name: 'Add endpoint' }).click();
    await page.getByText(`Endpoint ${hookUrl} added.`).waitFor();
    await page.getByText('Copy it now: it is not shown again.').waitFor();
    const secret = await page.getByLabel('Signing secret').inputValue();
    assert.match(secret, /^whsec_[A-Za-z0-9+/=]+$/);
    await page.getByRole('button', { name: `Disable ${hookUrl}` }).waitFor();
    assert.equal(await url.getAttribute('aria-invalid'), null, 'the earlier problem is cleared');
    await shot(page, '10-webhook-created');

    await page.getByRole('link', { name: 'Accounts' }).click();
    await page.getByRole('link', { name: 'Webhooks' }).click();
    await page.getByRole('button', { name: `Disable ${hookUrl}` }).waitFor();
    assert.equal(await page.getByLabel('Signing secret').count(), 0, 'the secret is not shown again');
    assert.ok(!(await page.content()).includes(secret));

    // Two of three machines released together: each release is an event for the endpoint.
    await page.goto(`${adminServer.url}/admin/#/accounts/${name}/bindings`);
    await page.getByText('M-3').first().waitFor();
    const releaseSelected = page.getByRole('button', { name: /^Release selected/ });
    assert.ok(await releaseSelected.isDisabled(), 'nothing selected yet');
    await page.getByRole('checkbox', { name: 'Select machine M-1' }).check();
    await page.getByRole('checkbox', { name: 'Select machine M-2' }).check();
    await shot(page, '11-bindings-selected');
    await page.getByRole('button', { name: 'Release selected (2)' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByText('M-2').waitFor();
    await shot(page, '12-release-selected-confirmation');
    await dialog.getByRole('button', { name: 'Release 2 machines' }).click();
    // Named in the order the server answered, which is the list's (newest first).
    await page.getByText(/^Released 2 machines: (M-1, M-2|M-2, M-1)\.$/).waitFor();
    await page.getByRole('checkbox', { name: 'Select machine M-1' }).waitFor({ state: 'detached' });
    assert.equal(await page.getByRole('checkbox', { name: /^Select machine / }).count(), 1);
    await page.getByRole('checkbox', { name: 'Select machine M-3' }).waitFor();
    await page.getByText('Seats used').locator('..').getByText('1 of 3').waitFor();
    await shot(page, '13-bindings-after-release');

    await page.getByRole('link', { name: 'Webhooks' }).click();
    await page.getByRole('button', { name: `Deliveries to ${hookUrl}` }).click();
    const retries = page.getByRole('button', { name: /^Retry event .+ now$/ });
    await retries.first().waitFor();
    assert.equal(await retries.count(), 2, 'one binding.released event per machine');
    assert.equal(
      await page
        .getByRole('table', { name: `Deliveries to ${hookUrl}` })
        .getByText('pending')
        .count(),
      2,
    );
    await retries.first().click();
    await page.getByText(/^Retry of event .+ queued\./).waitFor();
    await shot(page, '14-webhook-deliveries');
    await page.getByLabel('Status', { exact: true }).selectOption('failed');
    await page.getByText('No failed deliveries to this endpoint.').waitFor();

    await page.getByRole('button', { name: `Disable ${hookUrl}` }).click();
    await shot(page, '15-webhook-disable-confirmation');
    await page.getByRole('dialog').getByRole('button', { name: 'Disable endpoint' }).click();
    await page.getByText(`${hookUrl} is disabled.`).waitFor();
    await page.getByRole('button', { name: `Enable ${hookUrl}` }).waitFor();
    await shot(page, '16-webhook-disabled');

    const viewerPage = await openPage();
    await logIn(viewerPage, await admin.createStaff('viewer'));
    assert.equal(await viewerPage.getByRole('link', { name: 'Webhooks' }).count(), 0);
    await viewerPage.goto(`${adminServer.url}/admin/#/webhooks`);
    await viewerPage.getByRole('heading', { name: 'Not available' }).waitFor();
    await viewerPage.goto(`${adminServer.url}/admin/#/accounts/${name}/bindings`);
    await viewerPage.getByText('M-3').first().waitFor();
    await shot(viewerPage, '17-viewer-bindings');
    assert.equal(await viewerPage.getByRole('checkbox').count(), 0, 'no machine to select');
    assert.equal(await viewerPage.getByRole('button', { name: /^Release/ }).count(), 0, 'no release control');
    assert.deepEqual(problems, []);
  });

  it('lets an admin add a staff member and create a token, and offers the operator its own tokens only', async function () {
    const page = await openPage();
    await logIn(page, await admin.createStaff('admin'));
    await page.getByRole('link', { name: 'Staff', exact: true }).click();
    await page.getByRole('heading', { name: 'Staff', exact: true }).waitFor();
    const operator = { email: `e2e-op-${Date.now()}@vendor.example`, password: 'pw-e2e-operator' };
    await page.getByLabel('Email', { exact: true }).fill(operator.email);
    await page.getByLabel('Role', { exact: true }).selectOption('operator');
    await page.getByLabel('Initial password').fill(operator.password);
    await page.getByRole('button', { name: 'Add staff member' }).click();
    await page.getByText(`${operator.email} can now sign in as operator.`).waitFor();
    await page.getByText(operator.email).nth(1).waitFor();
    await shot(page, '18-staff');

    await page.getByRole('link', { name: 'API tokens' }).click();
    await page.getByRole('heading', { name: 'API tokens' }).waitFor();
    await page.getByLabel('Name', { exact: true }).fill('nightly export');
    await page.getByLabel('Role', { exact: true }).selectOption('viewer');
    await page.getByRole('button', { name: 'Create token' }).click();
    await page.getByText('Token “nightly export” (viewer) created.').waitFor();
    const token = await page.getByLabel('New token').inputValue();
    const byToken = await fetch(`${adminServer.url}${API}/accounts`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(byToken.status, 200, 'the token shown works');
    await shot(page, '19-tokens');

    const operatorPage = await openPage();
    await logIn(operatorPage, operator);
    assert.equal(await operatorPage.getByRole('link', { name: 'Staff', exact: true }).count(), 0);
    await operatorPage.getByRole('link', { name: 'API tokens' }).click();
    await operatorPage.getByRole('heading', { name: 'API tokens' }).waitFor();
    await operatorPage.getByText('No API tokens yet.').waitFor();
    assert.equal(await operatorPage.getByText('nightly export').count(), 0, "another's token is not listed");
    assert.deepEqual(problems, []);
  });
});
