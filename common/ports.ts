// A port nothing listens on right now. Only a hint: another process can take it before the caller
// binds it, so a caller that draws one must be ready to draw again.
import { createServer } from 'node:net';

export interface FreePortOptions {
  /** @default '127.0.0.1' */
  host?: string;
  /** One below 32768 (Temporal keeps its cluster's ports in smallint columns), not the kernel's pick. */
  low?: boolean;
}

export async function freePort(options: FreePortOptions = {}): Promise<number> {
  for (;;) {
    const wanted = options.low ? 20_000 + Math.floor(Math.random() * 12_000) : 0;
    const port = await new Promise<number | undefined>((done, fail) => {
      const probe = createServer();
      // A random low port can be taken: try another. The kernel's pick failing is a real error.
      probe.once('error', (err) => (options.low ? done(undefined) : fail(err)));
      probe.listen(wanted, options.host ?? '127.0.0.1', () => {
        const { port } = probe.address() as { port: number };
        probe.close(() => done(port));
      });
    });
    if (port !== undefined) return port;
  }
}
