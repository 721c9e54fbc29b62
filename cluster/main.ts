// `npm run cluster`: the cluster topology on this machine (cluster/topology.ts) until Ctrl-C.
//   npm run cluster -- [--config reflex.yaml] [--dir .cluster] [--workers 2] [--servers 2]
// Without --config it writes one with a signed-webhook source (`siem`, its secret in <dir>/siem-secret)
// and the shipped playbooks. Mail goes to SMTP_URL, or to a demo mailbox it starts on loopback.
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DemoMailbox } from '../mail/demo-mailbox';
import { startCluster } from './topology';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      config: { type: 'string' },
      dir: { type: 'string', default: '.cluster' },
      workers: { type: 'string', default: '2' },
      servers: { type: 'string', default: '2' },
    },
  });
  const dir = resolve(values.dir!);
  // Searchable but not listable by others: PostgreSQL runs as its own user below it.
  mkdirSync(dir, { recursive: true });
  chmodSync(dir, 0o711);
  const secretFile = join(dir, 'siem-secret');
  let config = values.config ? resolve(values.config) : join(dir, 'reflex.yaml');
  const env: NodeJS.ProcessEnv = {};
  if (!values.config) {
    if (!existsSync(secretFile))
      writeFileSync(secretFile, `whsec_${randomBytes(24).toString('base64')}\n`, { mode: 0o600 });
    env.SIEM_SECRET = readFileSync(secretFile, 'utf8').trim();
    writeFileSync(
      config,
      "sources:\n  - name: siem\n    auth:\n      scheme: standard-webhooks\n      secrets: ['${SIEM_SECRET}']\n" +
        'contacts:\n  onCall: [oncall@cluster.example]\n  dpo: dpo@cluster.example\n',
    );
  }
  config = resolve(config);
  const mailbox = process.env.SMTP_URL ? undefined : await DemoMailbox.start({ dir: join(dir, 'mail') });
  if (mailbox) env.SMTP_URL = `smtp://127.0.0.1:${mailbox.port}`;
  console.log(`cluster: starting PostgreSQL, the Temporal server and Reflex in ${dir} …`);
  const cluster = await startCluster({
    dir,
    config,
    env,
    workers: Number(values.workers),
    servers: Number(values.servers),
  });
  console.log(`cluster: Temporal     ${cluster.temporalAddress} (namespace default)`);
  console.log(
    `cluster: PostgreSQL   127.0.0.1:${cluster.postgres.port} (databases temporal, temporal_visibility, reflex)`,
  );
  for (const w of cluster.workers) console.log(`cluster: ${w.spec.name.padEnd(16)} ${w.url} (health only)`);
  for (const s of cluster.servers) console.log(`cluster: ${s.spec.name.padEnd(16)} ${s.url}`);
  if (!values.config) console.log(`cluster: the siem source's secret is in ${secretFile}`);
  if (mailbox) console.log(`cluster: mail is kept in ${join(dir, 'mail')}`);
  console.log(`cluster: logs are in ${dir}/*.log; Ctrl-C stops everything`);
  const stop = async () => {
    console.log('cluster: stopping …');
    await cluster.stop();
    await mailbox?.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
}

main().catch((err: Error) => {
  console.error(`cluster: ${err.message}`);
  process.exit(1);
});
