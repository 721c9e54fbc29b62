// `reflex doctor`: the readiness check. Before an attack is the time to learn that a Graph permission
// is missing, SMTP is misconfigured or an escalation reaches nobody. Each check says what is wrong and
// how to fix it; a check that cannot run (no Graph credentials, the embedded Temporal not running)
// says so and the others still run. Read only, except the test message on request.
import type { Client } from '@microsoft/microsoft-graph-client';
import type { ReflexConfig } from '../config/schema';
import { resolveContacts } from '../config/contacts';
import { approverGroupProblems } from '../config/checks';
import type { PlaybookGovernance } from '../storage/sign-offs';
import type { SourceActivityStore } from '../triggers/silence';
import type { JournalStore } from '../triggers/journal';
import { watchedSources } from './silent-sources';
import { toMs } from '../workflows/model/durations';
import type { IncidentIndex } from '../storage/incident-index';
import type { ReadinessHistory } from '../storage/readiness-history';
import type { LoadedPlaybook } from '../playbooks/load';
import { actionsUsed } from '../playbooks/permissions';
import { listAll, odataString } from '../activities/entra/graph';
import { permissionText } from '../activities/action';
import { rotateAppSecret } from '../activities/secrets/rotate';
import { smtpTransport } from '../mail/transport';
import { createGraphClient } from './graph-client';
import { connectTemporal } from '../temporal/connect';
import { withTimeout } from '../common/timeout';
import type { Metrics } from '../server/metrics';
import type { ReadinessReport } from '../server/contracts/incidents';
import type { Logger } from '../common/logger';
import type { Resources } from './resources';

export type FindingStatus = 'ok' | 'problem' | 'not-checked';

export interface Finding {
  check: string;
  status: FindingStatus;
  /** Plain words: what holds, what is wrong, or why it could not be checked. */
  message: string;
  /** How to fix it (problems only). */
  fix?: string;
}

export interface DoctorOptions {
  config: ReflexConfig;
  /** The enabled playbooks; undefined when they do not load (`playbookProblem` says why). */
  playbooks?: readonly LoadedPlaybook[];
  playbookProblem?: string;
  sendTestMail?: boolean;
  /** The record: sign-offs and past drills; undefined when it cannot be opened (`recordsProblem`). */
  records?: {
    governance: PlaybookGovernance;
    incidents: IncidentIndex;
    sources: Pick<SourceActivityStore, 'list'>;
    /** The intake journal: accepted alerts not opened yet, and those given up on. */
    journal?: Pick<JournalStore, 'backlog' | 'failures'>;
  };
  recordsProblem?: string;
}

/** Microsoft Graph's service principal (its application permissions are its appRoles). */
const GRAPH_APP_ID = '00000003-0000-0000-c000-000000000000';
/** The Office 365 Management APIs (the unified audit log's ActivityFeed.Read). */
const MANAGEMENT_APP_ID = 'c5393580-f805-4401-95e8-94b7a6ef2fc2';
const PLACEHOLDER = /@example\.(org|com|net)$/i;
const TIMEOUT_MS = 10_000;

export async function runDoctor(options: DoctorOptions): Promise<Finding[]> {
  const { config } = options;
  const findings: Finding[] = [];
  findings.push(playbooksFinding(options));
  const playbooks = options.playbooks ?? [];
  findings.push(...(await permissionFindings(config, playbooks)));
  findings.push(...(await mailFindings(config, options.sendTestMail ?? false)));
  findings.push(...contactFindings(config, playbooks));
  findings.push(...(await secretStoreFindings(config, playbooks)));
  findings.push(await temporalFinding(config));
  findings.push(...(await recordFindings(options, playbooks)));
  findings.push(...(await sourceFindings(options)));
  findings.push(...(await journalFindings(options)));
  return findings;
}

/** Each configured source's last delivery; one watched with expectEvery and silent longer is a problem. */
async function sourceFindings(options: DoctorOptions): Promise<Finding[]> {
  const { config } = options;
  const names = [
    ...config.sources.map((s) => s.name),
    ...config.logs.files.map((f) => f.name),
    ...(config.logs.syslog ? [config.logs.syslog.name] : []),
  ];
  if (names.length === 0) return [];
  if (!options.records) {
    return [
      {
        check: 'sources',
        status: 'not-checked',
        message: 'the record could not be read, so the sources’ last deliveries are not checked',
      },
    ];
  }
  const rows = new Map((await options.records.sources.list()).map((r) => [r.source, r]));
  const watched = new Map(watchedSources(config).map((w) => [w.name, w]));
  return names.map((name): Finding => {
    const row = rows.get(name);
    const last = row?.lastSeenAt
      ? `last delivery ${row.lastSeenAt.slice(0, 16).replace('T', ' ')} UTC`
      : 'never heard from';
    const expected = watched.get(name);
    const check = `source ${name}`;
    if (!expected) {
      return {
        check,
        status: 'ok',
        message: `${name}: ${last} (not watched: give it expectEvery to be told when it stops)`,
      };
    }
    // No row: no Reflex has watched it yet, and it has never been heard from.
    const heard = row ? Date.parse(row.lastSeenAt ?? row.firstExpectedAt) : -Infinity;
    if (row?.silentSince || Date.now() - heard > toMs(expected.expectEvery)) {
      return {
        check,
        status: 'problem',
        message: `${name} is silent: ${last}, expected every ${expected.expectEvery}`,
        fix:
          expected.kind === 'webhook'
            ? `check that the sender still sends to /hooks/${name} with its current secret (refused deliveries are on the intake chain: GET /api/alerts/unrouted)`
            : `check that the ${expected.kind === 'file' ? 'log file is still written where logs.files names it' : 'syslog sender still sends to this listener'}`,
      };
    }
    return { check, status: 'ok', message: `${name}: ${last}, expected every ${expected.expectEvery}` };
  });
}

/** An accepted alert waits this long to be opened before it is a problem (normally: well under a second). */
const JOURNAL_WAIT_PROBLEM_SECONDS = 60;

/**
 * The intake journal (decision 004): every alert a sender was told 202 about becomes an incident. A
 * backlog that does not drain (Temporal unreachable, no worker able to start workflows) and alerts given
 * up on are problems: each is an alert accepted and not acted on.
 */
async function journalFindings(options: DoctorOptions): Promise<Finding[]> {
  const journal = options.records?.journal;
  if (!journal) return [];
  const check = 'intake journal';
  const [{ pending, oldestSeconds }, { failed, firstAt }] = await Promise.all([
    journal.backlog(),
    journal.failures(),
  ]);
  const findings: Finding[] = [];
  if (failed > 0) {
    findings.push({
      check,
      status: 'problem',
      message: `${failed} accepted alert(s) could not be opened as incidents and were given up on (the first received ${firstAt!.slice(0, 16).replace('T', ' ')} UTC)`,
      fix: 'the server log says why for each (`intake journal: an alert could not be opened`); once that is mended (a playbook restored, Temporal reachable), run `reflex alerts retry` to open them',
    });
  }
  if (pending > 0 && oldestSeconds > JOURNAL_WAIT_PROBLEM_SECONDS) {
    findings.push({
      check,
      status: 'problem',
      message: `${pending} accepted alert(s) wait to be opened; the oldest for ${Math.round(oldestSeconds)} s`,
      fix: 'Reflex opens them as soon as Temporal starts workflows again: check the Temporal finding, and that `reflex server` can reach TEMPORAL_ADDRESS',
    });
  }
  if (findings.length === 0) {
    findings.push({
      check,
      status: 'ok',
      message:
        pending === 0
          ? 'every accepted alert has been opened as an incident'
          : `${pending} accepted alert(s) being opened, the oldest for ${Math.round(oldestSeconds)} s`,
    });
  }
  return findings;
}

/** Each playbook signed off as it is, and drilled recently; sign-off records that fail their signature. */
async function recordFindings(
  options: DoctorOptions,
  playbooks: readonly LoadedPlaybook[],
): Promise<Finding[]> {
  if (!options.records) {
    return [
      {
        check: 'sign-off and drills',
        status: 'not-checked',
        message: `the record could not be read, so sign-offs and drills are not checked: ${options.recordsProblem ?? 'no database'}`,
      },
    ];
  }
  const { governance, incidents } = options.records;
  await governance.refresh();
  const day = (iso: string) => iso.slice(0, 10);
  const signOffAdvice = (id: string, version: number) =>
    `have the board read it and sign off on /board/playbooks, or run \`reflex playbooks approve ${id} --version ${version} --by NAME --role ROLE\``;
  const findings: Finding[] = [];
  const report = governance.report();
  for (const { playbook, standing } of report.playbooks) {
    const { id, version } = playbook.definition;
    const check = `sign-off ${id}`;
    if (standing.status === 'signed-off') {
      const s = standing.signOff;
      findings.push({
        check,
        status: 'ok',
        message: `${id} v${version} signed off by ${s.by} (${s.role}) on ${day(s.at)}`,
      });
    } else if (standing.status === 'changed') {
      const s = standing.signOff;
      findings.push({
        check,
        status: 'problem',
        message: `${id} v${version} has changed since the board signed off v${s.version} on ${day(s.at)} (${s.by}): it is not pre-approved as it stands`,
        fix: signOffAdvice(id, version),
      });
    } else {
      findings.push({
        check,
        status: 'problem',
        message: `${id} v${version} was never signed off: nobody is on record as having pre-approved what it does`,
        fix: signOffAdvice(id, version),
      });
    }
  }
  for (const forged of report.forged) {
    findings.push({
      check: 'sign-off records',
      status: 'problem',
      message: `the sign-off of ${forged.playbook} v${forged.version} by ${forged.by} (${forged.eventId}) fails its signature: it was edited, or written without this installation's key, and counts for nothing`,
      fix: 'run `reflex audit verify`; find out who changed the database, then sign off again',
    });
  }
  const maxDays = options.config.playbooks.signOff.drillMaxAgeDays;
  for (const playbook of playbooks) {
    const { id } = playbook.definition;
    const [last] = await incidents.list({ drill: true, playbook: id, limit: 1 });
    const ageDays = last ? (Date.now() - Date.parse(last.startedAt)) / 86_400_000 : Infinity;
    findings.push(
      ageDays <= maxDays
        ? { check: `drill ${id}`, status: 'ok', message: `${id} last drilled on ${day(last!.startedAt)}` }
        : {
            check: `drill ${id}`,
            status: 'problem',
            message: last
              ? `${id} was last drilled on ${day(last.startedAt)}, more than ${maxDays} days ago`
              : `${id} has never been drilled`,
            fix: `run \`reflex drill ${id}\` (or start a drill from the API); it only rehearses, nothing real is touched`,
          },
    );
  }
  return findings;
}

function playbooksFinding({ playbooks, playbookProblem }: DoctorOptions): Finding {
  if (!playbooks) {
    return {
      check: 'playbooks',
      status: 'problem',
      message: `the playbooks do not load: ${playbookProblem ?? 'unknown error'}`,
      fix: 'run `reflex playbooks validate` and correct the file and line it names',
    };
  }
  return {
    check: 'playbooks',
    status: 'ok',
    message: `${playbooks.length} playbook(s) valid: ${playbooks.map((p) => `${p.definition.id} v${p.definition.version}`).join(', ')}`,
  };
}

interface AppRole {
  id: string;
  value: string;
}

/** The application permissions (role values) granted to Reflex's app on one API. */
async function grantedOn(
  graph: Client,
  reflexSpId: string,
  apiAppId: string,
): Promise<Set<string> | undefined> {
  const [api] = await listAll<{ id: string; appRoles?: AppRole[] }>(
    graph,
    '/servicePrincipals',
    `appId eq ${odataString(apiAppId)}`,
  );
  if (!api) return undefined;
  const assignments = await listAll<{ resourceId: string; appRoleId: string }>(
    graph,
    `/servicePrincipals/${encodeURIComponent(reflexSpId)}/appRoleAssignments`,
  );
  const names = new Map((api.appRoles ?? []).map((r) => [r.id, r.value]));
  return new Set(
    assignments
      .filter((a) => a.resourceId === api.id)
      .map((a) => names.get(a.appRoleId))
      .filter((v): v is string => Boolean(v)),
  );
}

async function permissionFindings(
  config: ReflexConfig,
  playbooks: readonly LoadedPlaybook[],
): Promise<Finding[]> {
  const check = 'Graph permissions';
  const graph = createGraphClient(config.entra);
  if (!graph) {
    return [
      {
        check,
        status: 'not-checked',
        message:
          'Entra ID is not configured (entra.tenantId, clientId, clientSecret): Reflex cannot contain anything in Microsoft 365, and its permissions cannot be read',
      },
    ];
  }
  const fixText =
    'grant it in Entra ID (App registrations → Reflex → API permissions → Add → Application permissions) and give admin consent, or run the script `reflex init` wrote';
  try {
    const [reflex] = await listAll<{ id: string }>(
      graph,
      '/servicePrincipals',
      `appId eq ${odataString(config.entra.clientId!)}`,
    );
    if (!reflex) {
      return [
        {
          check,
          status: 'problem',
          message: `no service principal for Reflex's application ${config.entra.clientId} in this tenant`,
          fix: 'check entra.clientId, or consent to the application in this tenant',
        },
      ];
    }
    const granted = (await grantedOn(graph, reflex.id, GRAPH_APP_ID)) ?? new Set<string>();
    const findings: Finding[] = [];
    const missing = actionsUsed(playbooks).filter((a) => {
      const p = a.permission;
      return p && !(p.needs.every((n) => granted.has(n)) || (p.orElse && granted.has(p.orElse)));
    });
    for (const action of missing) {
      findings.push({
        check,
        status: 'problem',
        message: `${action.name} needs ${permissionText(action.permission!)}: not granted, so this step will fail in an incident`,
        fix: fixText,
      });
    }
    const graphLogs = config.logs.graph;
    if ((graphLogs?.signIns || graphLogs?.directoryAudits) && !granted.has('AuditLog.Read.All')) {
      findings.push({
        check,
        status: 'problem',
        message: 'logs.graph reads Entra sign-in and audit logs, which needs AuditLog.Read.All: not granted',
        fix: fixText,
      });
    }
    if (config.logs.m365Audit) {
      const feed = await grantedOn(graph, reflex.id, MANAGEMENT_APP_ID);
      if (!feed?.has('ActivityFeed.Read')) {
        findings.push({
          check,
          status: 'problem',
          message:
            'logs.m365Audit reads the Microsoft 365 audit log, which needs ActivityFeed.Read on the Office 365 Management APIs: not granted',
          fix: fixText,
        });
      }
    }
    if (findings.length === 0) {
      findings.push({
        check,
        status: 'ok',
        message: `every action the enabled playbooks use has its permission (${[...granted].sort().join(', ') || 'none needed'})`,
      });
    }
    return findings;
  } catch (err) {
    const status = (err as { statusCode?: number }).statusCode;
    return [
      {
        check,
        status: 'not-checked',
        message:
          status === 403
            ? 'Reflex may not read its own permissions (reading service principals needs Application.Read.All)'
            : `Microsoft Graph could not be asked (${status ?? (err as Error).message.slice(0, 120)})`,
      },
    ];
  }
}

async function mailFindings(config: ReflexConfig, sendTestMail: boolean): Promise<Finding[]> {
  const check = 'e-mail';
  const url = config.mail.smtpUrl;
  if (!url) {
    return [
      {
        check,
        status: 'problem',
        message:
          'no SMTP relay (mail.smtpUrl): `reflex start` keeps mail in its demo mailbox, so nobody outside this machine is told or asked to approve',
        fix: 'set mail.smtpUrl (or SMTP_URL), e.g. smtps://user:password@smtp.example.org:465',
      },
    ];
  }
  const host = safeHost(url);
  const transport = smtpTransport(url);
  try {
    await withTimeout(transport.verify(), TIMEOUT_MS, `no answer from ${host}`);
  } catch (err) {
    transport.close();
    return [
      {
        check,
        status: 'problem',
        message: `the SMTP relay ${host} cannot be used: ${describeMailError(err)}`,
        fix: 'check mail.smtpUrl (host, port, smtp:// or smtps://, user and password) and that this machine may reach it',
      },
    ];
  }
  const findings: Finding[] = [
    { check, status: 'ok', message: `the SMTP relay ${host} accepts Reflex's login` },
  ];
  if (sendTestMail) {
    const to = config.contacts.onCall;
    try {
      await withTimeout(
        transport.sendMail({
          from: config.mail.from,
          to,
          subject: 'Reflex test message',
          text: 'This is a test message from `reflex doctor --send-test-mail`. If you can read it, Reflex can reach you during an incident.',
        }),
        TIMEOUT_MS,
        `no answer from ${host}`,
      );
      findings.push({ check, status: 'ok', message: `test message sent to ${to.join(', ')}` });
    } catch (err) {
      findings.push({
        check,
        status: 'problem',
        message: `the test message to ${to.join(', ')} was refused: ${describeMailError(err)}`,
        fix: 'check the on-call addresses and that the relay may send to them',
      });
    }
  }
  transport.close();
  return findings;
}

function contactFindings(config: ReflexConfig, playbooks: readonly LoadedPlaybook[]): Finding[] {
  const check = 'contacts';
  const findings: Finding[] = [];
  const problem = (message: string, fix: string) => findings.push({ check, status: 'problem', message, fix });
  const c = config.contacts;
  if (PLACEHOLDER.test(c.dpo))
    problem(
      `the data-protection officer is the placeholder ${c.dpo}: nobody would start the 72-hour GDPR clock`,
      'set contacts.dpo',
    );
  if (!c.ncsc)
    problem(
      'no NCSC contact (or sector CERT): incident reports have nowhere to go',
      'set contacts.ncsc, e.g. your sector CERT’s address or cert@ncsc.nl',
    );
  const onCall = c.onCall.filter((a) => !PLACEHOLDER.test(a));
  if (onCall.length < 2)
    problem(
      `on-call has ${onCall.length === 0 ? 'no real address' : 'one person'} (${c.onCall.join(', ')}): an alert at night, or during a holiday, may reach nobody`,
      'list at least two people in contacts.onCall',
    );
  for (const text of approverGroupProblems(config, playbooks))
    problem(text, 'define the group in contacts.groups');
  // An escalation must reach someone new, or "also asked" asks nobody.
  const everyone = resolveContacts(config.contacts).groups;
  for (const playbook of playbooks) {
    const groups = playbook.contacts?.groups ?? everyone;
    const approvers = new Map<string, Set<string>>();
    for (const ref of playbook.approverGroups) {
      const people = groups[ref.group] ?? [];
      const asked = approvers.get(ref.step) ?? new Set<string>();
      if (ref.as === 'approvers') people.forEach((p) => asked.add(p));
      else if (people.every((p) => asked.has(p)) && people.length > 0)
        problem(
          `${playbook.definition.id}, step "${ref.step}": its escalation to "${ref.group}" asks nobody who was not asked already`,
          'name a group with other people (a manager, a second on-call) in the escalation',
        );
      approvers.set(ref.step, asked);
    }
  }
  if (findings.length === 0)
    findings.push({
      check,
      status: 'ok',
      message: `DPO, NCSC contact, ${onCall.length} people on call, and every approver and escalation group reaches someone`,
    });
  return findings;
}

async function secretStoreFindings(
  config: ReflexConfig,
  playbooks: readonly LoadedPlaybook[],
): Promise<Finding[]> {
  const check = 'secret stores';
  const rotates = actionsUsed(playbooks).some((a) => a.name === rotateAppSecret.name);
  if (config.secretStores.length === 0) {
    return rotates
      ? [
          {
            check,
            status: 'problem',
            message:
              'a playbook rotates application secrets, but no secret store is configured to receive the new one',
            fix: 'add one under secretStores (docs/SECRET-STORES.md)',
          },
        ]
      : [];
  }
  const findings: Finding[] = [];
  for (const store of config.secretStores) {
    try {
      const answer = await fetch(store.url, { method: 'HEAD', signal: AbortSignal.timeout(TIMEOUT_MS) });
      findings.push(
        answer.status >= 500
          ? {
              check,
              status: 'problem',
              message: `secret store "${store.name}" answers ${answer.status}`,
              fix: 'check the service behind it',
            }
          : { check, status: 'ok', message: `secret store "${store.name}" answers (${safeHost(store.url)})` },
      );
    } catch (err) {
      findings.push({
        check,
        status: 'problem',
        message: `secret store "${store.name}" cannot be reached at ${safeHost(store.url)}: ${(err as Error).message}`,
        fix: 'check its url and that this machine may reach it',
      });
    }
  }
  return findings;
}

async function temporalFinding(config: ReflexConfig): Promise<Finding> {
  const check = 'Temporal';
  const { address, namespace } = config.temporal;
  if (!address) {
    return {
      check,
      status: 'not-checked',
      message:
        'the embedded Temporal runs only inside `reflex start`; set TEMPORAL_ADDRESS to check a cluster (its namespace and retention)',
    };
  }
  let connection: Awaited<ReturnType<typeof connectTemporal>>['connection'] | undefined;
  try {
    ({ connection } = await withTimeout(
      connectTemporal({ address, namespace, tls: config.temporal.tls, apiKey: config.temporal.apiKey }),
      TIMEOUT_MS,
    ));
    const described = await withTimeout(
      connection.workflowService.describeNamespace({ namespace }),
      TIMEOUT_MS,
    );
    const seconds = Number(described.config?.workflowExecutionRetentionTtl?.seconds ?? 0);
    const days = Math.round((seconds / 86_400) * 10) / 10;
    return days < 3
      ? {
          check,
          status: 'problem',
          message: `namespace ${namespace} keeps a closed incident's workflow history ${days} day(s): too short to investigate after a weekend`,
          fix: `temporal operator namespace update --namespace ${namespace} --retention 30d`,
        }
      : { check, status: 'ok', message: `namespace ${namespace} at ${address}, retention ${days} days` };
  } catch (err) {
    const message = (err as Error).message.slice(0, 200);
    return {
      check,
      status: 'problem',
      message: /not found/i.test(message)
        ? `no namespace ${namespace} at ${address}`
        : `Temporal at ${address} cannot be reached: ${message}`,
      fix: /not found/i.test(message)
        ? `temporal operator namespace create --namespace ${namespace}`
        : 'check TEMPORAL_ADDRESS, TLS and the API key',
    };
  } finally {
    await connection?.close().catch(() => undefined);
  }
}

/** The host and port of a URL, never its user or password. */
function safeHost(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}${u.port ? `:${u.port}` : ''}`;
  } catch {
    return '(not a URL)';
  }
}

function describeMailError(err: unknown): string {
  const e = err as { code?: string; responseCode?: number; message?: string };
  if (e.code === 'EAUTH') return 'the user name or password was refused';
  const text = e.message ?? '';
  if (e.code === 'ECONNREFUSED' || /ECONNREFUSED/.test(text))
    return 'nothing listens there (connection refused)';
  if (/ENOTFOUND|EAI_AGAIN/.test(text)) return 'the host name does not resolve';
  if (/certificate|self[- ]signed|CERT_/i.test(text)) return 'its TLS certificate is not trusted';
  if (e.code === 'ETIMEDOUT' || e.code === 'ETIMEOUT') return 'no answer (timed out)';
  if (e.responseCode) return `it answered ${e.responseCode}`;
  // Never the whole message: nodemailer's can quote the URL, and with it a password.
  return e.code ?? 'it failed';
}

/**
 * The readiness check inside a running server: at most every 5 minutes when asked (the admin API),
 * and every `server.readinessCheckMinutes` on its own (first a minute after start), each run written
 * to the metrics
 * (`reflex_readiness_problems` by check) and a problem to the log.
 */
export function readinessMonitor(
  options: Omit<DoctorOptions, 'sendTestMail'>,
  deps: { metrics: Metrics; log: Logger; history?: ReadinessHistory },
  resources: Resources,
): () => Promise<ReadinessReport> {
  let latest: { at: number; report: Promise<ReadinessReport> } | undefined;
  const run = () => {
    const report = runDoctor(options).then((findings) => {
      const checkedAt = new Date();
      deps.metrics.readinessProblems.reset();
      for (const f of findings) {
        const problems = f.status === 'problem' ? 1 : 0;
        deps.metrics.readinessProblems.inc({ check: f.check }, problems);
        if (problems) deps.log.warn({ check: f.check, fix: f.fix }, `readiness: ${f.message}`);
      }
      deps.metrics.readinessCheckedAt.set(checkedAt.getTime() / 1000);
      // How long each problem stays open, for the quarterly report (a failed write is only logged).
      void deps.history
        ?.record(
          findings.filter((f) => f.status === 'problem'),
          checkedAt,
        )
        .catch((err: unknown) => deps.log.warn({ err }, 'readiness history not written'));
      const problems = findings.filter((f) => f.status === 'problem').length;
      return { checkedAt: checkedAt.toISOString(), problems, findings };
    });
    latest = { at: Date.now(), report };
    report.catch((err: unknown) => {
      deps.log.warn({ err }, 'the readiness check could not run');
      latest = undefined;
    });
    return report;
  };
  const every = options.config.server.readinessCheckMinutes * 60_000;
  if (every > 0) {
    const first = setTimeout(() => void run().catch(() => undefined), Math.min(60_000, every));
    const repeat = setInterval(() => void run().catch(() => undefined), every);
    first.unref();
    repeat.unref();
    resources.add('readiness check', async () => {
      clearTimeout(first);
      clearInterval(repeat);
    });
  }
  return () => (latest && Date.now() - latest.at < 5 * 60_000 ? latest.report : run());
}
