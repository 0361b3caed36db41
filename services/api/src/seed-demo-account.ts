import type { Passwords } from '#shared/security/passwords';
import type { Accounts } from '#shared/storage/mysql/accounts';

/**
 * A newcomer's `npm start` comes up with an account to try (README, "Quick
 * start"). Created once, never overwritten; never with NODE_ENV=production,
 * where asking for it is a configuration error (shared/config/env.ts).
 */
export const DEMO_ACCOUNT = { name: 'demo', password: 'demo-password', version: '11.0', maxRegistrations: 10 } as const;

export async function seedDemoAccount(accounts: Accounts, passwords: Passwords, now: Date): Promise<boolean> {
  if (await accounts.findByName(DEMO_ACCOUNT.name)) return false;
  const expires = new Date(now);
  expires.setUTCFullYear(expires.getUTCFullYear() + 1);
  const created = await accounts.create({
    name: DEMO_ACCOUNT.name,
    passwordHash: await passwords.hash(DEMO_ACCOUNT.password),
    settings: {
      status: 'active',
      version: DEMO_ACCOUNT.version,
      expiresAt: expires.toISOString().slice(0, 10),
      maxRegistrations: DEMO_ACCOUNT.maxRegistrations,
      allowedIps: [],
      allowedDomains: [],
      allowedAppNames: [],
    },
  });
  return created !== null;
}
