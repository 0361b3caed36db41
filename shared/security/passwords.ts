import bcrypt from 'bcrypt';
import { randomBytes } from 'node:crypto';

/**
 * Password checks cost the same whether or not the account exists: an unknown
 * account is compared against a hash made at start-up with the configured
 * cost, so neither the answer nor its timing tells the two apart.
 */
export interface Passwords {
  hash(password: string): Promise<string>;
  verify(password: string, storedHash: string | undefined): Promise<boolean>;
}

export async function createPasswords(cost: number): Promise<Passwords> {
  const decoyHash = await bcrypt.hash(randomBytes(18).toString('base64'), cost);
  return {
    hash: (password) => bcrypt.hash(password, cost),
    async verify(password, storedHash) {
      const matches = await bcrypt.compare(password, storedHash ?? decoyHash);
      return matches && storedHash !== undefined;
    },
  };
}
