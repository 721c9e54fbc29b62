// The SMTP transport's limits, apart from it so the configuration's schema can name them without
// loading nodemailer.

/** Connections open at once unless configured: Exchange Online's SMTP submission takes three per mailbox. */
export const MAX_CONNECTIONS = 3;

/**
 * The longest a message may take: under the 30 s start-to-close the activities that send mail have by
 * default (test/mail-transport.test.ts checks it), so a timed-out attempt's message is out of the queue
 * before Temporal schedules the retry. A step with a shorter `timeoutSeconds` is covered by the
 * activity's own deadline, which it passes as the message's `signal` (activities/notify/attempt.ts).
 */
export const SEND_TIMEOUT_MS = 25_000;
