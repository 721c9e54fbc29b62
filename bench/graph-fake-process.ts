// The Graph fake as its own process for the fair benchmark: the HTTPS fake of Entra ID and Graph with
// `users` accounts (u0@bench.example …), which tells the load generator (POST <callback>/called/<user>)
// whenever a revokeSignInSessions arrives, and once a second how many sign-in log reads it answered.
// Arguments: <callback URL> <users>. Prints its URL once ready.
import { EntraFake } from '../test/fakes/entra-fake';

async function main(): Promise<void> {
  const [callback, users] = process.argv.slice(2) as [string, string];
  const fake = await new EntraFake().start();
  for (let i = 0; i < Number(users); i++) fake.addUser({ userPrincipalName: `u${i}@bench.example` });
  const push = fake.calls.push.bind(fake.calls);
  let reads = 0;
  fake.calls.push = (...items) => {
    for (const call of items) {
      const m = call.path.match(/\/users\/([^/]+)\/revokeSignInSessions$/);
      if (m) void fetch(`${callback}/called/${m[1]!}`, { method: 'POST' }).catch(() => undefined);
      if (call.path.endsWith('/auditLogs/signIns')) reads++;
    }
    return push(...items);
  };
  // How many sign-in log reads so far, once a second (not per read: a storm makes thousands).
  let reported = 0;
  setInterval(() => {
    if (reads === reported) return;
    reported = reads;
    void fetch(`${callback}/reads/${reads}`, { method: 'POST' }).catch(() => undefined);
  }, 1000).unref();
  process.stdout.write(`${fake.url}\n`);
  process.once('SIGTERM', () => void fake.stop().then(() => process.exit(0)));
}

void main();
