import net from 'node:net';

function listening(): Promise<net.Server> {
  const server = net.createServer();
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

/**
 * Asks the kernel for an unused TCP port on 127.0.0.1 by binding port 0 and
 * releasing it again. Another process may grab the port before the caller
 * binds it; callers that spawn servers retry with a fresh port when that
 * happens rather than trying to close the race here.
 *
 * `except`: ports the caller already took for the same server (a cluster
 * bus). The kernel readily hands a port just released out again, so the
 * ports it offers are held until one is not excepted.
 */
export async function getFreePort(except: readonly number[] = []): Promise<number> {
  const held: net.Server[] = [];
  try {
    for (;;) {
      const server = await listening();
      held.push(server);
      const address = server.address();
      if (address === null || typeof address === 'string') throw new Error('getFreePort: server did not report a TCP address');
      if (!except.includes(address.port)) return address.port;
    }
  } finally {
    await Promise.all(held.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
  }
}
