import { createConnection, createServer, type Server, type Socket } from 'node:net';

/** A loopback TCP proxy that can stop forwarding (a cut cable: nothing is refused, nothing gets through)
 * and resume (what was held in the sockets is then delivered, as TCP does once a link heals). */
export async function startProxy(targetPort: number): Promise<{ url: string; cut(): void; heal(): void; close(): void }> {
  const pairs: [Socket, Socket][] = [];
  let cut = false;
  const server: Server = createServer((client) => {
    const upstream = createConnection(targetPort, '127.0.0.1');
    client.pipe(upstream);
    upstream.pipe(client);
    const end = () => (client.destroy(), upstream.destroy());
    client.on('error', end);
    upstream.on('error', end);
    pairs.push([client, upstream]);
    if (cut) (client.pause(), upstream.pause());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return {
    url: `redis://127.0.0.1:${port}`,
    cut() {
      cut = true;
      for (const [a, b] of pairs) (a.pause(), b.pause());
    },
    heal() {
      cut = false;
      for (const [a, b] of pairs) (a.resume(), b.resume());
    },
    close() {
      for (const [a, b] of pairs) (a.destroy(), b.destroy());
      server.close();
    },
  };
}
