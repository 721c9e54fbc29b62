// Outgoing mail: the configured SMTP relay, or the demo mailbox (a real SMTP server on loopback).
import { join } from 'node:path';
import type { ReflexConfig } from '../config/schema';
import { DemoMailbox } from '../mail/demo-mailbox';
import { demoTransport, smtpTransport, type Mailer } from '../mail/transport';
import type { Resources } from './resources';

export interface Mail {
  mailer: Mailer;
  /** The demo mailbox, when no SMTP relay is configured. */
  mailbox?: DemoMailbox;
}

export async function openMail(config: ReflexConfig, dataDir: string, resources: Resources): Promise<Mail> {
  let mailbox: DemoMailbox | undefined;
  let mailer: Mailer;
  if (config.mail.smtpUrl) {
    mailer = smtpTransport(config.mail.smtpUrl, { maxConnections: config.mail.maxConnections });
  } else {
    mailbox = await DemoMailbox.start({
      port: config.mail.demoMailbox.smtpPort,
      dir: join(dataDir, 'mailbox'),
    });
    resources.add('demo mailbox', () => mailbox!.close());
    mailer = demoTransport(mailbox.port, { maxConnections: config.mail.maxConnections });
  }
  resources.add('mailer', async () => mailer.close());
  return { mailer, mailbox };
}
