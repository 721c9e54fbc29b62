// A local stand-in for an organisation's secret-manager endpoint: records what it is given, can fail.
import { createServer, type Server } from 'node:http';

export interface StoredSecret {
  name: string;
  value: string;
  keyId: string;
  application: string;
  authorization?: string;
}

export class SecretStoreFake {
  readonly received: StoredSecret[] = [];
  /** Statuses to answer with before accepting (e.g. [503] for one failure). */
  failNext: number[] = [];
  private server?: Server;
  url = '';

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const status = this.failNext.shift();
        if (status) {
          res.writeHead(status).end();
          return;
        }
        this.received.push({
          ...(JSON.parse(Buffer.concat(chunks).toString()) as StoredSecret),
          authorization: req.headers.authorization,
        });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((done) => this.server!.listen(0, '127.0.0.1', done));
    this.url = `http://127.0.0.1:${(this.server.address() as { port: number }).port}/secrets`;
    return this;
  }

  async stop(): Promise<void> {
    await new Promise<void>((done) => (this.server ? this.server.close(() => done()) : done()));
  }
}
