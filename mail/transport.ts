// Builds the nodemailer transport: the configured SMTP relay, or the demo mailbox.
import nodemailer, { type Transporter } from 'nodemailer';

/** A transport for an `smtp://` / `smtps://` URL. */
export function smtpTransport(url: string): Transporter {
  return nodemailer.createTransport(url);
}

/** A transport that delivers to the demo mailbox on loopback. */
export function demoTransport(port: number): Transporter {
  return nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true });
}
