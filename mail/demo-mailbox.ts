// The demo mailbox: a real SMTP server on loopback that keeps what Reflex "sent", so a newcomer can
// read notifications and follow approval links with no mail server. Tests use it as their SMTP catcher.
// It holds approval links, so its folder is the owner's only (0700, files 0600), and a message larger
// than `maxBytes` is refused rather than kept.
import { chmodSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SMTPServer } from 'smtp-server';

export interface CaughtMessage {
  id: string;
  receivedAt: string;
  messageId?: string;
  from: string;
  to: string[];
  subject: string;
  text: string;
  html?: string;
  headers: Record<string, string>;
}

export interface DemoMailboxOptions {
  /** @default 0 (any free port) */
  port?: number;
  /** Keep messages as .eml files here, so they survive restarts. In memory only when absent. */
  dir?: string;
  /** The largest message taken, in bytes. @default 10 MiB */
  maxBytes?: number;
}

export class DemoMailbox {
  private readonly messages: CaughtMessage[] = [];
  private readonly waiters = new Set<() => void>();
  private server?: SMTPServer;
  port = 0;

  private constructor(
    private readonly dir: string | undefined,
    private readonly maxBytes: number,
  ) {}

  static async start({
    port = 0,
    dir,
    maxBytes = 10 * 1024 * 1024,
  }: DemoMailboxOptions = {}): Promise<DemoMailbox> {
    const mailbox = new DemoMailbox(dir, maxBytes);
    if (dir) {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      chmodSync(dir, 0o700);
      for (const file of readdirSync(dir)
        .filter((f) => f.endsWith('.eml'))
        .sort()) {
        mailbox.messages.push(await parse(file.replace(/\.eml$/, ''), readFileSync(join(dir, file))));
      }
    }
    await mailbox.listen(port);
    return mailbox;
  }

  private listen(port: number): Promise<void> {
    this.server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      banner: 'Reflex demo mailbox',
      logger: false,
      // It listens on loopback only: looking the sender's name up in DNS tells nothing, and where no
      // DNS server answers it would hold every connection's greeting for up to 1.5 s.
      disableReverseLookup: true,
      size: this.maxBytes,
      onData: (stream, _session, callback) => {
        const chunks: Buffer[] = [];
        let bytes = 0;
        stream.on('data', (c: Buffer) => {
          bytes += c.length;
          if (bytes <= this.maxBytes) chunks.push(c);
        });
        stream.on('end', () => {
          if (stream.sizeExceeded || bytes > this.maxBytes) {
            const refused = Object.assign(new Error(`message larger than ${this.maxBytes} bytes`), {
              responseCode: 552,
            });
            return callback(refused);
          }
          const raw = Buffer.concat(chunks);
          const id = `${Date.now()}-${String(this.messages.length + 1).padStart(5, '0')}`;
          if (this.dir) writeFileSync(join(this.dir, `${id}.eml`), raw, { mode: 0o600 });
          parse(id, raw).then(
            (message) => {
              this.messages.push(message);
              for (const wake of this.waiters) wake();
              callback();
            },
            (err: Error) => callback(err),
          );
        });
      },
    });
    return new Promise((done, fail) => {
      this.server!.once('error', fail);
      this.server!.listen(port, '127.0.0.1', () => {
        this.port = (this.server!.server.address() as { port: number }).port;
        this.server!.off('error', fail);
        // A sender that drops its connection mid-message (a killed worker, a reset) is that message
        // not kept, which its sender retries; without a listener smtp-server's 'error' ends the process.
        this.server!.on('error', () => undefined);
        done();
      });
    });
  }

  /** Newest first. */
  list(): CaughtMessage[] {
    return [...this.messages].reverse();
  }

  get(id: string): CaughtMessage | undefined {
    return this.messages.find((m) => m.id === id);
  }

  /** Waits until a message matching `predicate` has arrived. */
  async waitFor(predicate: (m: CaughtMessage) => boolean, timeoutMs = 30_000): Promise<CaughtMessage> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.messages.find(predicate);
      if (found) return found;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('no matching message arrived in time');
      await new Promise<void>((wake) => {
        const timer = setTimeout(finish, left);
        function finish() {
          clearTimeout(timer);
          waiters.delete(finish);
          wake();
        }
        const waiters = this.waiters;
        waiters.add(finish);
      });
    }
  }

  async close(): Promise<void> {
    await new Promise<void>((done) => (this.server ? this.server.close(() => done()) : done()));
  }
}

async function parse(id: string, raw: Buffer): Promise<CaughtMessage> {
  // Loaded with the first message rather than at start (~90 ms of every restart).
  const { simpleParser } = await import('mailparser');
  const mail = await simpleParser(raw);
  const addresses = (field: typeof mail.to) =>
    (Array.isArray(field) ? field : field ? [field] : []).flatMap((a) => a.value.map((v) => v.address ?? ''));
  const headers: Record<string, string> = {};
  for (const [key, value] of mail.headers) {
    if (typeof value === 'string') headers[key] = value;
  }
  return {
    id,
    receivedAt: (mail.date ?? new Date()).toISOString(),
    messageId: mail.messageId,
    from: mail.from?.text ?? '',
    to: addresses(mail.to),
    subject: mail.subject ?? '',
    text: mail.text ?? '',
    html: typeof mail.html === 'string' ? mail.html : undefined,
    headers,
  };
}
