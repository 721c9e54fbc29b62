// Syslog in: RFC 5424 and RFC 3164 messages over UDP and TCP (octet-counted or newline-framed). A
// message whose text is JSON contributes its fields to the record (how most SaaS log shippers send).
import { createSocket, type Socket } from 'node:dgram';
import { createServer, type Server } from 'node:net';
import type { LogRecord } from './engine';
import { recordTime } from './engine';

const RFC5424 =
  /^<(\d{1,3})>(\d{1,2}) (\S+) (\S+) (\S+) (\S+) (\S+) (-|(?:\[(?:[^\]\\]|\\.)*\])+)(?: ([\s\S]*))?$/;
const RFC3164 =
  /^<(\d{1,3})>([A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d) (\S+) ([^:[\s]+)(?:\[([^\]]*)\])?: ?([\s\S]*)$/;
const nil = (v: string | undefined) => (v === undefined || v === '-' ? undefined : v);

/** One syslog message as record fields, or undefined when it is neither RFC 5424 nor RFC 3164. */
export function parseSyslog(message: string, now = new Date()): Record<string, unknown> | undefined {
  const text = message.replace(/[\r\n]+$/, '');
  let fields: Record<string, unknown>;
  let m = RFC5424.exec(text);
  if (m) {
    const pri = Number(m[1]);
    fields = {
      facility: pri >> 3,
      severity: pri & 7,
      version: Number(m[2]),
      timestamp: nil(m[3]),
      host: nil(m[4]),
      app: nil(m[5]),
      procId: nil(m[6]),
      msgId: nil(m[7]),
      structuredData: nil(m[8]),
      message: (m[9] ?? '').replace(/^\uFEFF/, ''),
    };
  } else if ((m = RFC3164.exec(text))) {
    const pri = Number(m[1]);
    // RFC 3164 has no year: this year, or last year when that would put it in the future.
    let date = new Date(`${m[2]} ${now.getUTCFullYear()} UTC`);
    if (date.getTime() > now.getTime() + 86_400_000)
      date = new Date(`${m[2]} ${now.getUTCFullYear() - 1} UTC`);
    fields = {
      facility: pri >> 3,
      severity: pri & 7,
      timestamp: Number.isNaN(date.getTime()) ? undefined : date.toISOString(),
      host: m[3],
      app: m[4],
      procId: m[5],
      message: m[6] ?? '',
    };
  } else {
    return undefined;
  }
  const body = String(fields.message).trim();
  if (body.startsWith('{')) {
    try {
      const json: unknown = JSON.parse(body);
      if (json && typeof json === 'object') fields = { ...fields, ...(json as Record<string, unknown>) };
    } catch {
      // plain text that happens to start with a brace
    }
  }
  return fields;
}

export interface SyslogOptions {
  host: string;
  udpPort?: number;
  tcpPort?: number;
  kind: string;
  name: string;
}

/** Listens for syslog; every parsed message goes to `onRecord`, unparsable ones to `onSkipped`. */
export class SyslogListener {
  private udp?: Socket;
  private tcp?: Server;
  udpPort?: number;
  tcpPort?: number;

  constructor(
    private readonly options: SyslogOptions,
    private readonly onRecord: (record: LogRecord) => void,
    private readonly onSkipped: (reason: string) => void = () => undefined,
  ) {}

  private accept(message: string): void {
    const fields = parseSyslog(message);
    if (!fields) return this.onSkipped('not RFC 5424 or RFC 3164');
    this.onRecord({ source: this.options.name, kind: this.options.kind, at: recordTime(fields), fields });
  }

  async start(): Promise<void> {
    if (this.options.udpPort !== undefined) {
      const udp = createSocket('udp4');
      udp.on('message', (msg) => this.accept(msg.toString('utf8')));
      udp.on('error', () => undefined);
      await new Promise<void>((done) => udp.bind(this.options.udpPort, this.options.host, done));
      this.udp = udp;
      this.udpPort = udp.address().port;
    }
    if (this.options.tcpPort !== undefined) {
      const tcp = createServer((socket) => {
        let buffer = '';
        socket.setEncoding('utf8');
        socket.on('data', (chunk: string) => {
          buffer += chunk;
          if (buffer.length > 1_000_000) return void socket.destroy(); // a runaway sender
          for (;;) {
            // RFC 6587: octet counting ("<len> <msg>") or a newline after each message.
            const counted = /^(\d{1,6}) /.exec(buffer);
            if (counted) {
              const length = Number(counted[1]);
              const start = counted[0].length;
              if (Buffer.byteLength(buffer.slice(start)) < length) break;
              const bytes = Buffer.from(buffer.slice(start));
              this.accept(bytes.subarray(0, length).toString('utf8'));
              buffer = bytes.subarray(length).toString('utf8');
              continue;
            }
            const newline = buffer.indexOf('\n');
            if (newline < 0) break;
            const line = buffer.slice(0, newline);
            buffer = buffer.slice(newline + 1);
            if (line.trim()) this.accept(line);
          }
        });
        socket.on('end', () => {
          if (buffer.trim()) this.accept(buffer);
        });
        socket.on('error', () => undefined);
      });
      await new Promise<void>((done) => tcp.listen(this.options.tcpPort, this.options.host, done));
      this.tcp = tcp;
      this.tcpPort = (tcp.address() as { port: number }).port;
    }
  }

  async stop(): Promise<void> {
    await new Promise<void>((done) => (this.udp ? this.udp.close(() => done()) : done()));
    await new Promise<void>((done) => (this.tcp ? this.tcp.close(() => done()) : done()));
  }
}
