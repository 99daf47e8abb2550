// A TCP proxy on 127.0.0.1 in front of an API server, for tests that need a
// connection to die without the process dying: cut() refuses and drops
// everything (a crashed or partitioned replica), freezeExisting() keeps the
// open connections but stops delivering what the server sends on them (a
// stalled watch), while new connections still work.
import net from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';

export interface TcpProxy {
  port: number;
  /** Connections accepted so far (each is one TCP connection, and one TLS handshake, to the API server). */
  connections(): number;
  /** A copy of `kc` whose current cluster goes through the proxy. */
  kubeConfigFor(kc: KubeConfig): KubeConfig;
  freezeExisting(): void;
  cut(): Promise<void>;
}

/** `port`: 0 for any free port, or a former proxy's port (clients reconnect to it after a cut). */
export async function startTcpProxy(target: string, listenPort = 0): Promise<TcpProxy> {
  const t = new URL(target);
  const pairs = new Set<{ client: net.Socket; upstream: net.Socket }>();
  let accepted = 0;
  const server = net.createServer((client) => {
    accepted++;
    const upstream = net.connect(Number(t.port), t.hostname);
    const pair = { client, upstream };
    pairs.add(pair);
    client.pipe(upstream);
    upstream.pipe(client);
    const end = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  await new Promise<void>((resolve) => server.listen(listenPort, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    connections: () => accepted,
    kubeConfigFor(kc) {
      const cfg = JSON.parse(kc.exportConfig()) as { clusters: Array<{ name: string; cluster: { server: string } }>; 'current-context'?: string };
      const current = kc.getCurrentCluster()?.name;
      for (const c of cfg.clusters) if (c.name === current) c.cluster.server = `https://127.0.0.1:${port}`;
      const out = new KubeConfig();
      out.loadFromString(JSON.stringify(cfg));
      return out;
    },
    freezeExisting() {
      for (const p of pairs) {
        p.upstream.unpipe(p.client);
        p.upstream.pause();
      }
    },
    async cut() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const p of pairs) {
        p.client.destroy();
        p.upstream.destroy();
      }
      await closed;
    },
  };
}
