import { randomBytes } from 'node:crypto';
import type { RequestListener } from 'node:http';
import { buildApp } from '../../services/api/src/app';
import { createApiDeps, type ApiDeps } from '../../services/api/src/deps';
import type { Config } from '#shared/config/env';
import type { AccountSettings } from '#shared/domain/account-settings';
import type { Logger } from '#shared/log/logger';
import { testConfig } from './test-environment';

/**
 * An API over this run's real stores (or the ones `overrides` point at), and
 * helpers to make accounts with random names so tests never share one.
 */
export interface TestApi {
  app: RequestListener;
  deps: ApiDeps;
  config: Readonly<Config>;
  createAccount(settings?: Partial<AccountSettings> & { password?: string }): Promise<TestAccount>;
  close(): Promise<void>;
}

export interface TestAccount {
  id: number;
  name: string;
  password: string;
}

export function randomName(prefix = 'acct'): string {
  return `${prefix}-${randomBytes(6).toString('hex')}`;
}

export const FAR_FUTURE = '2099-12-31';

export async function startTestApi(
  overrides: Record<string, string> = {},
  options: { now?: () => Date; logger?: Logger } = {},
): Promise<TestApi> {
  const config = testConfig(overrides);
  const deps = await createApiDeps(config, options);
  return {
    app: buildApp(deps),
    deps,
    config,
    async createAccount(settings = {}) {
      const { password = randomBytes(9).toString('base64'), ...rest } = settings;
      const name = randomName();
      const id = await deps.context.accounts.create({
        name,
        passwordHash: await deps.context.passwords.hash(password),
        settings: {
          status: 'active',
          version: '11.0',
          expiresAt: FAR_FUTURE,
          maxRegistrations: 10,
          allowedIps: [],
          allowedDomains: [],
          allowedAppNames: [],
          ...rest,
        },
      });
      if (id === null) throw new Error(`account name collision: ${name}`);
      return { id, name, password };
    },
    close: () => deps.close(),
  };
}

/** A registration body for `count` distinct nodes; `node(i)` overrides fields of node i. */
export function registrationBody(
  account: TestAccount,
  count: number,
  options: { appVersion?: string; prefix?: string; node?: (index: number) => Record<string, unknown> } = {},
) {
  const prefix = options.prefix ?? randomName('m');
  return {
    account: account.name,
    password: account.password,
    appVersion: options.appVersion ?? '11.0',
    nodes: Array.from({ length: count }, (_, index) => ({
      nodeId: `node-${index + 1}`,
      ip: '203.0.113.7',
      domain: 'report.acme.com',
      appName: 'webroot',
      machineCode: `${prefix}-${index + 1}`,
      mac: '00:1a:2b:3c:4d:5e',
      ...(options.node?.(index) ?? {}),
    })),
  };
}
