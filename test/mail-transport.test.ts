// The SMTP transport against a real SMTP server on loopback that behaves as Exchange Online's
// submission endpoint does with a fourth connection from one mailbox (432 4.3.2, then it hangs up): a
// storm of messages goes over at most the pool's connections, none is refused and each arrives once;
// a message that cannot be handed to a connection in time leaves the queue unsent, with a message
// saying why; an unused connection is closed; the time limit sits under the mail activities' own;
// close() ends every connection.
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { msToNumber } from '@temporalio/common/lib/time';
import { NativeConnection, Worker } from '@temporalio/worker';
import { SMTPServer } from 'smtp-server';
import { smtpTransport } from '../mail/transport';
import { SEND_TIMEOUT_MS } from '../mail/limits';
import { MESSAGES } from '../workflows/activity-options';
import { createEmailActivities, notifyEmail } from '../activities/notify/email';

/** An SMTP server on loopback that refuses connections beyond `limit` and can hold a message's DATA. */
class Relay {
  private server?: SMTPServer;
  port = 0;
  /** The sessions taken and not yet closed. */
  readonly live = new Set<string>();
  mostOpen = 0;
  opened = 0;
  refused = 0;
  mailFrom = 0;
  received: string[] = [];
  /** While set, a message's DATA is answered only once this resolves. */
  hold?: Promise<void>;

  constructor(private readonly limit: number) {}

  async start(): Promise<this> {
    this.server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      onConnect: (session, callback) => {
        if (this.live.size >= this.limit) {
          this.refused++;
          const refusal = new Error('4.3.2 Concurrent connections limit exceeded');
          return callback(Object.assign(refusal, { responseCode: 432 }));
        }
        this.live.add(session.id);
        this.opened++;
        this.mostOpen = Math.max(this.mostOpen, this.live.size);
        callback();
      },
      onClose: (session) => void this.live.delete(session.id),
      onMailFrom: (_address, _session, callback) => {
        this.mailFrom++;
        callback();
      },
      onData: (stream, _session, callback) => {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          void (this.hold ?? Promise.resolve()).then(() => {
            const subject = /^Subject: (.*)$/m.exec(Buffer.concat(chunks).toString())?.[1] ?? '';
            this.received.push(subject.trim());
            callback();
          });
        });
      },
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.server.address() as { port: number }).port;
    return this;
  }

  /** Resolves once every connection has been closed (fails the test after 5 s). */
  async allClosed(): Promise<void> {
    for (let i = 0; this.live.size > 0; i++) {
      if (i > 100) throw new Error(`${this.live.size} connections still open`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
  }
}

const mail = (subject: string) => ({
  from: 'reflex@museum.example',
  to: 'oncall@museum.example',
  subject,
  text: 'body',
});

describe('the SMTP transport', () => {
  it('sends a storm of messages over at most maxConnections connections, none refused, each once', async () => {
    const relay = await new Relay(3).start();
    const mailer = smtpTransport(`smtp://127.0.0.1:${relay.port}`, { maxConnections: 3 });
    try {
      const subjects = Array.from({ length: 30 }, (_, i) => `storm ${i}`);
      const results = await Promise.allSettled(subjects.map((s) => mailer.sendMail(mail(s))));
      expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
      expect(relay.refused).toBe(0);
      expect(relay.opened).toBeLessThanOrEqual(3);
      expect(relay.mostOpen).toBeLessThanOrEqual(3);
      expect([...relay.received].sort()).toEqual([...subjects].sort());
      mailer.close();
      await relay.allClosed();
    } finally {
      mailer.close();
      await relay.stop();
    }
  });

  it('takes a message that waits too long out of the queue unsent, and says why', async () => {
    const relay = await new Relay(3).start();
    let release!: () => void;
    relay.hold = new Promise<void>((resolve) => (release = resolve));
    const mailer = smtpTransport(`smtp://127.0.0.1:${relay.port}`, { maxConnections: 1, sendTimeoutMs: 800 });
    try {
      // The first holds the only connection past the limit; the second never gets it.
      const first = mailer.sendMail(mail('held'));
      const second = mailer.sendMail(mail('queued'));
      await expect(second).rejects.toThrow(
        'the SMTP relay did not take the message within 0.8 s (at most 1 connections at once)',
      );
      await expect(first).rejects.toThrow('did not take the message within 0.8 s');
      release();
      relay.hold = undefined;
      await mailer.sendMail(mail('after'));
      // The queued message never reached the relay: two MAIL FROMs (held, after). The held one was in
      // flight (its DATA sent, the answer awaited) and may still arrive, as any message cut off there
      // may; its retry keeps its Message-ID.
      expect(relay.mailFrom).toBe(2);
      expect(relay.received).toContain('after');
      expect(relay.received).not.toContain('queued');
    } finally {
      release();
      mailer.close();
      await relay.stop();
    }
  });

  it("closes a connection left unused, so it does not hold one of the relay's few", async () => {
    const relay = await new Relay(3).start();
    const mailer = smtpTransport(`smtp://127.0.0.1:${relay.port}`, { idleTimeoutMs: 300 });
    try {
      await mailer.sendMail(mail('one'));
      expect(relay.live.size).toBe(1);
      await relay.allClosed(); // without close(): the idle timeout ends it
      await mailer.sendMail(mail('two')); // and the next message opens a new one
      expect(relay.opened).toBe(2);
      expect(relay.received).toEqual(['one', 'two']);
    } finally {
      mailer.close();
      await relay.stop();
    }
  });

  it("takes a message out of the queue before its activity attempt's own time runs out, so the retry sends it once", async () => {
    const relay = await new Relay(3).start();
    let release!: () => void;
    relay.hold = new Promise<void>((resolve) => (release = resolve));
    // The transport's own 25 s limit is longer than this step's 3 s: only the attempt's limit helps.
    const mailer = smtpTransport(`smtp://127.0.0.1:${relay.port}`, { maxConnections: 1 });
    const address = process.env.REFLEX_TEST_TEMPORAL_ADDRESS!;
    const taskQueue = `mail-${randomUUID()}`;
    const native = await NativeConnection.connect({ address });
    const connection = await Connection.connect({ address });
    try {
      const held = mailer.sendMail(mail('held')); // holds the only connection
      const worker = await Worker.create({
        connection: native,
        taskQueue,
        workflowsPath: require.resolve('./fixtures/workflows/send-workflow'),
        activities: createEmailActivities({ mailer, from: 'reflex@museum.example' }),
      });
      await worker.runUntil(async () => {
        const handle = await new Client({ connection }).workflow.start('sendOnce', {
          taskQueue,
          workflowId: taskQueue,
          args: [
            {
              incidentId: 'inc-mail',
              stepId: 'tell',
              drill: false,
              args: { to: 'oncall@museum.example', subject: 'queued', text: 'body' },
            },
            3,
            2,
          ],
        });
        // The first attempt ends while the message still waits for the connection…
        let failure: string | undefined;
        for (let i = 0; !failure; i++) {
          if (i > 200) throw new Error('the first attempt did not end');
          const pending = (await handle.describe()).raw.pendingActivities?.[0];
          failure = pending?.lastFailure?.message ?? undefined;
          await new Promise((r) => setTimeout(r, 50));
        }
        expect(failure).toBe(
          "the SMTP relay did not take the message before its attempt's 3 s ran out (at most 1 connections at once)",
        );
        // …and the connection comes free: the retry sends the message, and the first copy is gone.
        release();
        await handle.result();
      });
      await held;
      expect(relay.received.filter((s) => s === 'queued')).toEqual(['queued']);
      expect(relay.mailFrom).toBe(2); // held, and the retry's copy
    } finally {
      release();
      mailer.close();
      await connection.close();
      await native.close();
      await relay.stop();
    }
  }, 30_000);

  it('gives up on a message before the activity that sends it times out', () => {
    expect(SEND_TIMEOUT_MS).toBeLessThan(msToNumber(MESSAGES.startToCloseTimeout!));
    expect(SEND_TIMEOUT_MS).toBeLessThan(notifyEmail.timeoutSeconds * 1000);
  });
});
