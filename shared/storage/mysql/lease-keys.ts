import { generateLeaseKeyPem, importLeaseKey, type LeaseKey, type LeaseKeyring } from '#shared/security/leases';
import { execute, inTransaction, isDuplicateKey, selectRows, type Pool } from './pool';

/**
 * The lease signing keys kept in MySQL (`lease_keys`, migration 0009). The
 * signing key is the row with `current_slot = 1`; retired keys stay published
 * until `visible_until`. Every API process reads them at start and again
 * every few seconds, so a rotation by the CLI reaches all of them.
 */
export interface LeaseKeyStore {
  /** The keyring as it is now, generating the first key when there is none (concurrent first starts agree on one). */
  load(): Promise<LeaseKeyring>;
  /**
   * Makes a new key the signing one; the old one stays published for
   * `visibleForSeconds` more (the longest lease it may still have signed).
   */
  rotate(visibleForSeconds: number): Promise<{ kid: string; previous: { kid: string; visibleUntil: string } | null }>;
}

/** DATETIME(3) in UTC, as the pool's sessions read and write them. */
function sqlTime(date: Date): string {
  return date.toISOString().slice(0, 23).replace('T', ' ');
}

function pemOf(value: unknown): string {
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  if (typeof value === 'string') return value;
  throw new Error('lease_keys.private_pem is not text');
}

export function createLeaseKeys(pool: Pool, options: { now: () => Date }): LeaseKeyStore {
  async function insertCurrent(db: Parameters<typeof execute>[0]): Promise<LeaseKey> {
    const pem = generateLeaseKeyPem();
    const key = await importLeaseKey(pem);
    await execute(db, 'INSERT INTO lease_keys (kid, private_pem, current_slot, created_at) VALUES (?, ?, 1, ?)', [
      key.kid,
      Buffer.from(pem, 'utf8'),
      sqlTime(options.now()),
    ]);
    return key;
  }

  async function read(): Promise<{ signing: LeaseKey | undefined; published: LeaseKey[] }> {
    const rows = await selectRows(
      pool,
      'SELECT private_pem, current_slot FROM lease_keys WHERE current_slot = 1 OR visible_until > ? ORDER BY current_slot IS NULL, created_at DESC, id DESC',
      [sqlTime(options.now())],
    );
    const published: LeaseKey[] = [];
    let signing: LeaseKey | undefined;
    for (const row of rows) {
      const key = await importLeaseKey(pemOf(row.private_pem));
      if (row.current_slot === 1) signing = key;
      published.push(key);
    }
    return { signing, published };
  }

  return {
    async load() {
      let { signing, published } = await read();
      if (!signing) {
        try {
          await insertCurrent(pool);
        } catch (error) {
          // Another process generated the first key at the same moment: use its.
          if (!isDuplicateKey(error)) throw error;
        }
        ({ signing, published } = await read());
      }
      if (!signing) throw new Error('no lease signing key could be read back');
      return { signing, published };
    },
    rotate(visibleForSeconds) {
      return inTransaction(pool, async (connection) => {
        const [row] = await selectRows(connection, 'SELECT id, kid FROM lease_keys WHERE current_slot = 1 FOR UPDATE');
        const now = options.now();
        let previous: { kid: string; visibleUntil: string } | null = null;
        if (row) {
          const visibleUntil = new Date(now.getTime() + visibleForSeconds * 1000);
          await execute(connection, 'UPDATE lease_keys SET current_slot = NULL, retired_at = ?, visible_until = ? WHERE id = ?', [
            sqlTime(now),
            sqlTime(visibleUntil),
            Number(row.id),
          ]);
          previous = { kid: String(row.kid), visibleUntil: visibleUntil.toISOString() };
        }
        const key = await insertCurrent(connection);
        return { kid: key.kid, previous };
      });
    },
  };
}
