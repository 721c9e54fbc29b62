// The HTTP listener, bound before anything else is built, so the public URL (which may depend on the
// port it gets) is known before any part captures it. Until the app is ready it answers 503.
import { createServer, type RequestListener, type Server } from 'node:http';
import type { ReflexConfig } from '../config/schema';

export interface HttpListener {
  /** Where this process answers, e.g. http://127.0.0.1:8080. */
  url: string;
  /** Where people reach Reflex (links in e-mails): `server.publicUrl`, else `url`. */
  publicUrl: string;
  /** Starts answering with `app`. */
  serve(app: RequestListener): void;
  /** Stops accepting and closes idle connections. */
  close(): Promise<void>;
}

export async function bindHttp(config: ReflexConfig): Promise<HttpListener> {
  let handler: RequestListener = (_req, res) => {
    res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '5' });
    res.end(JSON.stringify({ error: 'Reflex is starting; retry in a moment' }));
  };
  const server = createServer((req, res) => handler(req, res));
  // A sender that half-closes its side after the request (HTTP/1.0-style clients, nc, some log
  // shippers) still gets its answer: without this, Node drops the request when the client's side ends.
  // (Long-standing in Node's http server, though not in its typings.)
  (server as typeof server & { httpAllowHalfOpen: boolean }).httpAllowHalfOpen = true;
  await listen(server, config.server.port, config.server.host);
  const port = (server.address() as { port: number }).port;
  const url = `http://${config.server.host === '0.0.0.0' ? '127.0.0.1' : config.server.host}:${port}`;
  return {
    url,
    publicUrl: config.server.publicUrl ?? url,
    serve(app) {
      handler = app;
    },
    close: () =>
      new Promise<void>((done) => {
        server.close(() => done());
        server.closeIdleConnections();
      }),
  };
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((done, fail) => {
    server.once('error', fail);
    server.listen(port, host, () => {
      server.off('error', fail);
      done();
    });
  });
}
