import net from 'node:net';

/**
 * A TCP proxy that tests put between a client and a real server (Redis,
 * MariaDB) to inject network faults without touching the server itself.
 *
 * - cut(): every open connection is reset (RST, so clients see ECONNRESET as
 *   on a dropped link, not a polite FIN), and new connections are reset as
 *   soon as they are accepted, until restore().
 * - pause(): connections stay open but no bytes move in either direction,
 *   so clients block until their own timeouts fire. Bytes are HELD, not
 *   dropped: resume() delivers them in order. That is what TCP does when a
 *   stalled link heals, and it keeps the Redis/MySQL streams parseable;
 *   dropping bytes would desynchronise the protocol, a fault real networks
 *   do not produce. An abrupt close (reset) of one side still reaches the
 *   other side while paused; a graceful FIN is held like data.
 */
export interface TcpProxy {
  port: number;
  cut(): void;
  restore(): void;
  pause(): void;
  resume(): void;
  close(): Promise<void>;
}

interface Flow {
  hold(): void;
  release(): void;
}

interface Link {
  client: net.Socket;
  upstream: net.Socket;
  flows: Flow[];
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const links = new Set<Link>();
  // Every socket, including ones not yet paired, so close() can wait for all of them.
  const sockets = new Set<net.Socket>();
  let isCut = false;
  let isPaused = false;

  const track = (socket: net.Socket): void => {
    sockets.add(socket);
    // Resets are the point of this proxy; an 'error' without a listener would crash the test run.
    socket.on('error', () => undefined);
    socket.once('close', () => sockets.delete(socket));
  };

  const forward = (from: net.Socket, to: net.Socket): Flow => {
    // Kept apart from isPaused so resume() does not override backpressure.
    let waitingForDrain = false;
    from.on('data', (chunk: Buffer) => {
      if (!to.write(chunk)) {
        waitingForDrain = true;
        from.pause();
        to.once('drain', () => {
          waitingForDrain = false;
          if (!isPaused) from.resume();
        });
      }
    });
    // Half-close must pass through: a client may send FIN and still expect the reply.
    from.on('end', () => to.end());
    if (isPaused) from.pause();
    return {
      hold: () => from.pause(),
      release: () => {
        if (!waitingForDrain) from.resume();
      },
    };
  };

  const server = net.createServer({ allowHalfOpen: true }, (client) => {
    track(client);
    if (isCut) {
      client.resetAndDestroy();
      return;
    }
    const upstream = net.connect({ host: target.host, port: target.port, allowHalfOpen: true });
    track(upstream);
    const link: Link = { client, upstream, flows: [forward(client, upstream), forward(upstream, client)] };
    links.add(link);
    const onClose = (other: net.Socket) => (hadError: boolean) => {
      links.delete(link);
      // A graceful close already travelled as 'end'; only an abrupt one must be passed on as a reset.
      if (hadError) other.resetAndDestroy();
    };
    client.once('close', onClose(upstream));
    upstream.once('close', onClose(client));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  // Accept-time failures (EMFILE and the like) must not crash the test process either.
  server.on('error', () => undefined);

  const address = server.address();
  if (address === null || typeof address === 'string') {
    throw new Error('startTcpProxy: server did not report a TCP address');
  }

  const resetAll = (): void => {
    for (const socket of sockets) socket.resetAndDestroy();
    links.clear();
  };

  return {
    port: address.port,
    cut: () => {
      isCut = true;
      resetAll();
    },
    restore: () => {
      isCut = false;
    },
    pause: () => {
      isPaused = true;
      for (const link of links) for (const flow of link.flows) flow.hold();
    },
    resume: () => {
      isPaused = false;
      for (const link of links) for (const flow of link.flows) flow.release();
    },
    close: async () => {
      isCut = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // An upstream still connecting is only reset once it connects, so wait for each socket to go.
      // Members of `sockets` have not emitted 'close' yet (track() removes them on it).
      const socketsGone = [...sockets].map((socket) => new Promise<void>((resolve) => socket.once('close', () => resolve())));
      resetAll();
      await Promise.all([closed, ...socketsGone]);
    },
  };
}
