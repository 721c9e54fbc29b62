// The relay the cluster's workers send mail to in the fair benchmark, as its own process so that
// parsing thousands of notifications does not load the load generator. Prints its SMTP port once ready.
import { DemoMailbox } from '../mail/demo-mailbox';

async function main(): Promise<void> {
  const mailbox = await DemoMailbox.start();
  process.stdout.write(`${mailbox.port}\n`);
  process.once('SIGTERM', () => void mailbox.close().then(() => process.exit(0)));
}

void main();
