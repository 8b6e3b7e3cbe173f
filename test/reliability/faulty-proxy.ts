/**
 * A TCP proxy in front of a real server (here the test SMTP server) that can play that server's failures:
 * killed (every connection reset, the port refuses), killed in the middle of a mail transaction (right
 * after the client sent the whole message, before the server's answer), frozen (connections accepted,
 * never answered, for all or after the first few), and brought back on the same port.
 */
import net from 'node:net';

export type ProxyMode = 'forward' | 'die-after-message' | 'freeze';

/** The end of an SMTP DATA section; the message itself cannot contain it (dot-stuffing). */
const END_OF_DATA = Buffer.from('\r\n.\r\n');

export class FaultyProxy {
  mode: ProxyMode = 'forward';
  /** When set, only this many more connections are forwarded; later ones are held as if frozen. */
  forwardLimit: number | null = null;
  /** Connections from clients; a connection's upstream half ends when its client half closes. */
  readonly #clients = new Set<net.Socket>();
  #server: net.Server | null = null;

  private constructor(
    private readonly targetPort: number,
    public port: number,
  ) {}

  static async start(targetPort: number): Promise<FaultyProxy> {
    const proxy = new FaultyProxy(targetPort, 0);
    await proxy.revive();
    return proxy;
  }

  get listening(): boolean {
    return this.#server !== null;
  }

  /** Listens again (on the same port after the first time). */
  async revive(): Promise<void> {
    const server = net.createServer((client) => this.#accept(client));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as net.AddressInfo).port;
    this.#server = server;
  }

  /** Like a killed process: open connections are reset and the port refuses new ones. */
  async kill(): Promise<void> {
    const server = this.#server;
    this.#server = null;
    for (const socket of this.#clients) socket.resetAndDestroy();
    this.#clients.clear();
    if (server) await new Promise((resolve) => server.close(resolve));
  }

  #accept(client: net.Socket): void {
    this.#clients.add(client);
    client.on('close', () => this.#clients.delete(client));
    client.on('error', () => {});
    if (this.forwardLimit !== null) {
      if (this.forwardLimit === 0) return;
      this.forwardLimit--;
    }
    if (this.mode === 'freeze') return;
    const upstream = net.connect(this.targetPort, '127.0.0.1');
    upstream.on('error', () => client.destroy());
    let tail = Buffer.alloc(0);
    client.on('data', (chunk: Buffer) => {
      upstream.write(chunk);
      if (this.mode !== 'die-after-message') return;
      tail = Buffer.concat([tail, chunk]).subarray(-64);
      if (tail.includes(END_OF_DATA)) {
        // The server has the whole message but dies before it can say so. The upstream half is ended,
        // not reset, so that the real server behind still records what it received.
        void this.kill();
      }
    });
    upstream.on('data', (chunk: Buffer) => {
      if (!client.destroyed) client.write(chunk);
    });
    client.on('close', () => upstream.end());
    upstream.on('close', () => client.destroy());
  }
}
