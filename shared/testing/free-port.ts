import net from 'node:net';

/**
 * Asks the kernel for an unused TCP port on 127.0.0.1 by binding port 0 and
 * releasing it again. Another process may grab the port before the caller
 * binds it; callers that spawn servers retry with a fresh port when that
 * happens rather than trying to close the race here.
 */
export async function getFreePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') {
    throw new Error('getFreePort: server did not report a TCP address');
  }
  return address.port;
}
