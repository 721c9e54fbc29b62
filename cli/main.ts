// The `reflex` command line: start | worker | server | demo-alert | audit verify.
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../config/load';
import { createLogger, type Logger } from '../common/logger';
import { runReflex, type Mode, type Reflex } from '../startup/run';
import { configuredRulePaths } from '../startup/inputs';
import { demoSource } from '../startup/demo';
import { loadConfiguredPlaybooks } from '../startup/playbooks';
import { ReflexError } from '../common/errors';
import type { YamlSource } from '../common/yaml-source';
import { playbooksCommand, signOffCommand } from './commands/playbooks';
import { incidentCommand } from './commands/incidents';
import { sendDemoAlert } from './demo-alert';
import { PlaybookError } from '../playbooks/load';
import { TemporalCliMissingError } from '../temporal/cli-binary';
import { DatabaseInUseError, openDb } from '../storage/db';
import { SignOffStore } from '../storage/sign-offs';
import { signOffKey } from '../startup/governance';
import { AuditStore } from '../storage/audit-store';
import { join, resolve } from 'node:path';
import { tokensCommand } from './commands/tokens';
import { initCommand } from './commands/init';
import { alertsCommand } from './commands/alerts';
import { alertsRetryCommand } from './commands/alerts-retry';
import { doctorCommand } from './commands/doctor';
import { docsCommand } from './commands/docs';
import { rulesCommand } from './commands/rules';
import { RuleError } from '../triggers/logs/rules';
import { progress, type Progress } from '../common/progress';

const USAGE = `Usage: reflex <command> [options]

Commands:
  init [--force] [--yes] [--organisation NAME --time-zone TZ --language en|nl --on-call A,B --dpo EMAIL
       --ncsc EMAIL --public-url URL --sources sentinel,splunk,… --script powershell|az]
                            Set Reflex up for your organisation: asks (or takes the flags), then writes a
                            commented reflex.yaml with access tokens, and a script registering the Entra
                            application with exactly the permissions the playbooks need.
  start [--demo]            Run everything in one process (embedded Temporal unless TEMPORAL_ADDRESS is set).
                            --demo adds a demo webhook source and sends one demo alert end to end.
  worker                    Run only the Temporal worker (production; needs TEMPORAL_ADDRESS and SMTP_URL).
  server                    Run only the HTTP server (production; needs TEMPORAL_ADDRESS).
  demo-alert [--url URL]    Send a signed demo alert to a running 'reflex start --demo'.
  playbooks list | validate [files...] | show <id> | new <id> [--dir DIR] | schema
                            The configured playbooks (playbooks.shipped, playbooks.dirs): list, check, show
                            one; new writes a starting file into the first of playbooks.dirs (or DIR);
                            schema prints the JSON Schema for editors.
  playbooks approve <id> --version N --by NAME --role ROLE
                            Record the board's sign-off of a playbook's exact content (signed, on the audit
                            record); incidents quote it. Refused for a playbook or version not loaded.
  playbooks approvals [--json]
                            Each playbook: signed off, changed since its sign-off, or never signed off.
  drill <playbook> [--alert FILE]
                            Run a playbook as a drill: dry-run actions, DRILL on the timeline.
  approve <incident> <step> --as EMAIL [--reject] [--note TEXT]
                            Decide a step waiting for approval.
  resolve <incident> --as EMAIL [--false-positive] [--note TEXT]
                            Close a contained incident; a false positive undoes what Reflex did.
  abort <incident> --as EMAIL [--note TEXT]
                            Stop an incident and undo what Reflex did.
  audit verify [--incident ID]
                            Recompute the audit hash chains; exits 1 naming the first broken event.
  audit export [--incident ID]
                            Write the audit trail as JSON lines, ending with a digest of the chain heads.
  rules test <logfile> [--rules FILE|DIR] [--json] [--kind KIND]
                            Replay a JSON-lines log through the rules (shipped + configured): what would fire, and why.
  doctor [--send-test-mail] [--json]
                            Readiness check: Graph permissions the playbooks need, SMTP (and a test
                            message), contacts and escalation groups, secret stores, Temporal's namespace
                            and retention. Each problem says how to fix it; exits 1 when there is one.
  alerts test <file> --source NAME | --format FORMAT [--json]
                            What a sender's payload becomes (type and why, severity, entities) and which
                            playbook it would run, and why.
  alerts retry              Hand the accepted alerts Reflex gave up opening (the readiness check's intake
                            journal finding) back to the servers, once the cause is mended.
  tokens new --name NAME --role board|responder|admin [--email EMAIL]
                            Make an access token; prints it once, and the config entry holding only its hash.

For contributors:
  docs [--check]            Write the documents derived from the code (permission tables, playbook JSON
                            Schema), or say which one has drifted.

Options:
  --config FILE             Configuration file (default: $REFLEX_CONFIG, else ./reflex.yaml if present).
`;

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      config: { type: 'string' },
      demo: { type: 'boolean', default: false },
      url: { type: 'string' },
      incident: { type: 'string' },
      alert: { type: 'string' },
      as: { type: 'string' },
      reject: { type: 'boolean', default: false },
      'false-positive': { type: 'boolean', default: false },
      note: { type: 'string' },
      name: { type: 'string' },
      role: { type: 'string' },
      email: { type: 'string' },
      rules: { type: 'string' },
      json: { type: 'boolean', default: false },
      kind: { type: 'string' },
      check: { type: 'boolean', default: false },
      version: { type: 'string' },
      by: { type: 'string' },
      dir: { type: 'string' },
      source: { type: 'string' },
      format: { type: 'string' },
      // reflex init
      organisation: { type: 'string' },
      'time-zone': { type: 'string' },
      language: { type: 'string' },
      'on-call': { type: 'string' },
      dpo: { type: 'string' },
      ncsc: { type: 'string' },
      'public-url': { type: 'string' },
      sources: { type: 'string' },
      script: { type: 'string' },
      force: { type: 'boolean', default: false },
      yes: { type: 'boolean', default: false },
      'send-test-mail': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const [command, sub] = positionals;
  if (values.help || !command) {
    process.stdout.write(USAGE);
    return command || values.help ? 0 : 2;
  }
  const io = {
    out: (t: string) => process.stdout.write(`${t}\n`),
    err: (t: string) => process.stderr.write(`${t}\n`),
  };
  // The playbooks the configuration selects (playbooks.shipped, playbooks.dirs, overrides).
  const configured = () => {
    const { config, source } = loadConfig({ file: values.config });
    return { config, playbooks: loadConfiguredPlaybooks(config, source) };
  };
  if (command === 'playbooks' && (sub === 'approve' || sub === 'approvals')) {
    return signOffCommand(configured, positionals.slice(1), values, io);
  }
  if (command === 'playbooks') return playbooksCommand(configured, positionals.slice(1), values, io);
  if (command === 'tokens') return tokensCommand(sub, values, io);
  if (command === 'init') return initCommand(values, io);
  if (command === 'alerts' && sub === 'retry') {
    return alertsRetryCommand(loadConfig({ file: values.config }).config, io);
  }
  if (command === 'alerts') return alertsCommand(positionals.slice(1), values, configured, io);
  if (command === 'docs') return docsCommand(values, io);
  if (command === 'doctor') return doctorCommand(values, io);
  if (command === 'rules') {
    // The shipped rules and the configured ones, unless --rules names others.
    const defaults = values.rules ? [] : configuredRulePaths(loadConfig({ file: values.config }).config);
    return rulesCommand(positionals.slice(1), values, defaults, io);
  }
  const log = createLogger();
  const { config, source } = loadConfig({ file: values.config });
  switch (command) {
    case 'drill':
    case 'approve':
    case 'resolve':
    case 'abort':
      return incidentCommand(
        command,
        positionals.slice(1),
        {
          ...values,
          reject: values.reject || values['false-positive'],
          playbooks: () => configured().playbooks,
        },
        config,
        io,
      );
    case 'start':
    case 'worker':
    case 'server':
      return serve(command, log, config, values.demo ?? false, source);
    case 'demo-alert': {
      const url = values.url ?? `http://127.0.0.1:${config.server.port}`;
      const result = await sendDemoAlert(url, demoSource(resolve(config.dataDir)));
      process.stdout.write(`${JSON.stringify(result.body)}\n`);
      return result.status === 202 ? 0 : 1;
    }
    case 'audit': {
      if (sub !== 'verify' && sub !== 'export') break;
      const db = await openDb({ url: config.database.url, embeddedDir: join(resolve(config.dataDir), 'db') });
      try {
        if (sub === 'export') {
          const exported = await new AuditStore(db).export(values.incident);
          for (const event of exported.events) process.stdout.write(`${JSON.stringify(event)}\n`);
          process.stdout.write(
            `${JSON.stringify({ digest: exported.digest, algorithm: 'sha256 over sorted "chainId seq hash" lines', heads: exported.heads, exportedAt: new Date().toISOString() })}\n`,
          );
          return 0;
        }
        let shown: Progress | undefined;
        const result = await new AuditStore(db).verify(values.incident, (done, total) => {
          shown ??= progress('verifying the audit trail', total, 'chains');
          shown.tick(done);
        });
        shown?.end();
        // A sign-off also carries a signature: one written into the database without the key fails it.
        const forged = values.incident
          ? []
          : await new SignOffStore(new AuditStore(db), signOffKey(config, resolve(config.dataDir))).forged();
        for (const f of forged) {
          process.stdout.write(
            `sign-off BROKEN in chain governance at event #${f.seq} (${f.eventId}): the sign-off of ${f.playbook} v${f.version} by ${f.by} fails its signature\n`,
          );
        }
        if (result.ok && forged.length === 0) {
          process.stdout.write(`audit trail intact: ${result.chains} chain(s), ${result.events} event(s)\n`);
          return 0;
        }
        for (const b of result.broken) {
          process.stdout.write(
            `audit trail BROKEN in chain ${b.chainId} at event #${b.seq} (${b.eventId}): ${b.reason}\n`,
          );
        }
        return 1;
      } finally {
        await db.close();
      }
    }
  }
  process.stderr.write(`reflex: unknown command '${positionals.join(' ')}'\n\n${USAGE}`);
  return 2;
}

async function serve(
  mode: Mode,
  log: Logger,
  config: ReturnType<typeof loadConfig>['config'],
  demo: boolean,
  configSource?: YamlSource,
) {
  const reflex = await runReflex({
    mode,
    config,
    configSource,
    log,
    demo,
  });
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) {
      log.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    log.info({ signal }, 'shutting down: HTTP stops accepting, the worker drains, Temporal stops');
    reflex.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  announce(reflex, mode);
  if (demo && reflex.url) await runDemo(reflex, log);
  return new Promise<number>(() => undefined); // runs until a signal
}

function announce(reflex: Reflex, mode: Mode): void {
  const lines = [`Reflex is running (${mode}).`];
  if (reflex.url) lines.push(`  Health:        ${reflex.url}/readyz`);
  if (reflex.url && mode !== 'worker') {
    lines.push(
      `  Webhooks:      POST ${reflex.url}/hooks/{source}   sources: ${reflex.sources.map((s) => s.name).join(', ') || '(none configured)'}`,
    );
  }
  if (reflex.url && mode !== 'worker') lines.push(`  Board:         ${reflex.url}/board`);
  if (reflex.demoTokenFile) {
    lines.push(`  Sign in:       ${reflex.url}/login with the admin token in ${reflex.demoTokenFile}`);
  }
  if (reflex.mailbox && reflex.url) lines.push(`  Demo mailbox:  ${reflex.url}/mailbox`);
  lines.push(
    `  Temporal:      ${reflex.temporalAddress}${reflex.temporalUiUrl ? `   Web UI: ${reflex.temporalUiUrl}` : ''}`,
  );
  lines.push(
    `  Playbooks:     ${reflex.playbooks.map((p) => `${p.definition.id}@${p.definition.version}`).join(', ')}`,
  );
  process.stdout.write(`\n${lines.join('\n')}\n\n`);
}

async function runDemo(reflex: Reflex, log: Logger): Promise<void> {
  const source = reflex.sources.find((s) => s.name === 'demo')!;
  const result = await sendDemoAlert(reflex.url!, source);
  if (result.status !== 202 || !result.body.incidentId) {
    log.error({ status: result.status, body: result.body }, 'the demo alert was not accepted');
    return;
  }
  const id = result.body.incidentId;
  const say = (text: string) => process.stdout.write(`${text}\n`);
  say(`Demo drill: a signed alert was accepted (HTTP 202) and opened incident ${id}.`);
  say(`  It is a DRILL: every action takes its dry-run path; nothing real is touched.`);
  say(`  Timeline:      ${reflex.url}/board/incidents/${id}`);
  if (reflex.temporalUiUrl)
    say(`  Its workflow:  ${reflex.temporalUiUrl}/namespaces/default/workflows/${id}`);
  if (!reflex.mailbox) return;
  const mail = await reflex.mailbox
    .waitFor((m) => m.headers['x-reflex-incident'] === id, 60_000)
    .catch(() => undefined);
  if (!mail) {
    say('  (no e-mail arrived within 60 s: see the logs)');
    return;
  }
  say(`  E-mail sent:   "${mail.subject}" → ${reflex.url}/mailbox/${mail.id}`);
  const waiting = await reflex.gateway
    .state(id)
    .then((state) => state.steps.find((s) => s.status === 'awaiting-approval'))
    .catch(() => undefined);
  if (waiting) {
    say(
      `  Step "${waiting.id}" waits for approval (${waiting.approval?.allowed.join(', ')}).\n` +
        `  Open the approval e-mail in the mailbox and follow its link (${reflex.url}/approvals lists what waits), or run:`,
    );
    say(
      `    npm run reflex -- approve ${id} ${waiting.id} --as ${waiting.approval?.allowed[0] ?? 'you@example.org'}`,
    );
  }
  say('\nPress Ctrl+C to stop.');
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (
      err instanceof ConfigError ||
      err instanceof PlaybookError ||
      err instanceof RuleError ||
      err instanceof TemporalCliMissingError ||
      err instanceof DatabaseInUseError
    ) {
      process.stderr.write(`reflex: ${err.message}\n`);
      process.exit(2);
    }
    if (err instanceof ReflexError) {
      // An expected refusal (no such incident, not waiting for approval, Temporal unreachable).
      process.stderr.write(`reflex: ${err.message}\n`);
      process.exit(1);
    }
    if ((err as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
      process.stderr.write(`reflex: ${(err as Error).message}\n\n${USAGE}`);
      process.exit(2);
    }
    process.stderr.write(`reflex: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
