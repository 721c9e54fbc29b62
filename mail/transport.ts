// Builds the nodemailer transport: the configured SMTP relay, or the demo mailbox.
//
// Both keep a small pool of SMTP connections open and send every message over one of them. A message
// on a fresh connection pays its TCP (and TLS) handshake, greeting and login each time, and an alert
// storm would open as many connections at once as there are messages in flight — more than a relay
// takes: Exchange Online's SMTP submission allows three per mailbox and answers a fourth with
// `432 4.3.2 Concurrent connections limit exceeded`. So at most `maxConnections` are open; a message
// beyond them waits in the pool's queue, and no longer than `sendTimeoutMs`: then it leaves the queue
// unsent and its send fails, so the activity's retry never races a copy still waiting here.
import nodemailer, { type SendMailOptions, type SentMessageInfo, type Transporter } from 'nodemailer';
import { MAX_CONNECTIONS, SEND_TIMEOUT_MS } from './limits';

export interface PoolOptions {
  /** Connections open at once. @default MAX_CONNECTIONS */
  maxConnections?: number;
  /**
   * How long one message may take, its wait for a free connection included, before its send fails
   * and it is taken out of the queue. @default SEND_TIMEOUT_MS
   */
  sendTimeoutMs?: number;
  /**
   * A connection unused this long is closed: an idle one still holds one of the relay's few
   * connections for this mailbox. @default 30000
   */
  idleTimeoutMs?: number;
}

/** A transport whose sends end within their time limit. Its `sendMail` takes no callback. */
export interface Mailer {
  sendMail(mail: SendMailOptions): Promise<SentMessageInfo>;
  verify(): Promise<true>;
  close(): void;
}

/** One connection's steps are bounded too (nodemailer's own defaults run to minutes). */
const CONNECTION = { connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 20_000 } as const;

/** A transport for an `smtp://` / `smtps://` URL. */
export function smtpTransport(url: string, options: PoolOptions = {}): Mailer {
  return pooled({ url, ...CONNECTION }, options);
}

/** A transport that delivers to the demo mailbox on loopback. */
export function demoTransport(port: number, options: PoolOptions = {}): Mailer {
  return pooled({ host: '127.0.0.1', port, secure: false, ignoreTLS: true, ...CONNECTION }, options);
}

function pooled(smtp: Record<string, unknown>, options: PoolOptions): Mailer {
  const {
    maxConnections = MAX_CONNECTIONS,
    sendTimeoutMs = SEND_TIMEOUT_MS,
    idleTimeoutMs = 30_000,
  } = options;
  const transport: Transporter = nodemailer.createTransport({
    ...smtp,
    pool: true,
    maxConnections,
    // A connection is replaced after this many messages.
    maxMessages: 100,
    idleTimeout: idleTimeoutMs,
  });
  return {
    async sendMail(mail) {
      const deadline = AbortSignal.timeout(sendTimeoutMs);
      const signal = mail.signal ? AbortSignal.any([mail.signal, deadline]) : deadline;
      try {
        return await transport.sendMail({ ...mail, signal });
      } catch (err) {
        const limit = `at most ${maxConnections} connections at once`;
        if (deadline.aborted) {
          throw new Error(
            `the SMTP relay did not take the message within ${sendTimeoutMs / 1000} s (${limit})`,
            { cause: err },
          );
        }
        if (mail.signal?.aborted) {
          // The caller's own limit (an activity attempt's time, or its cancellation).
          const reason = mail.signal.reason as unknown;
          const why = reason instanceof Error ? reason.message : String(reason);
          throw new Error(`the SMTP relay did not take the message before ${why} (${limit})`, {
            cause: err,
          });
        }
        throw err;
      }
    },
    verify: () => transport.verify(),
    close: () => transport.close(),
  };
}
