// Responder commands over the Temporal client: drill, approve/reject, resolve, abort.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Client, Connection } from '@temporalio/client';
import type { ReflexConfig } from '../../config/schema';
import { loadPlaybooks, type LoadedPlaybook } from '../../playbooks/load';
import { fromGeneric } from '../../triggers/adapters/generic';
import type { Alert } from '../../workflows/model/alert';
import { resolveContacts, resolveOrganisation } from '../../config/contacts';
import { abortIncidentUpdate, decideApprovalUpdate, resolveIncidentUpdate } from '../../workflows/messages';
import type { IncidentInput } from '../../workflows/model/incident';
import type { Output } from './playbooks';

/** The Temporal address a CLI command talks to: the cluster, or the embedded dev server of `reflex start`. */
export function cliTemporalAddress(config: ReflexConfig): string {
  return config.temporal.address || `127.0.0.1:${config.temporal.devServer.port}`;
}

async function withClient<T>(config: ReflexConfig, fn: (client: Client) => Promise<T>): Promise<T> {
  const connection = await Connection.connect({
    address: cliTemporalAddress(config),
    tls: config.temporal.tls || undefined,
    apiKey: config.temporal.apiKey,
  });
  try {
    return await fn(new Client({ connection, namespace: config.temporal.namespace }));
  } finally {
    await connection.close();
  }
}

/** A sample alert a playbook's first trigger admits, for drills without --alert. */
export function sampleAlert(playbook: LoadedPlaybook): Alert {
  const trigger = playbook.definition.triggers[0]!;
  return fromGeneric(
    trigger.source === '*' ? 'drill' : trigger.source,
    {
      id: `drill-${randomBytes(6).toString('hex')}`,
      type: trigger.types?.[0] ?? 'drill',
      title: `Drill: ${playbook.definition.title}`,
      severity: 'high',
      entities: {
        users: ['drill.user@museum.example'],
        ips: ['192.0.2.10'],
        hosts: ['drill-pc-01'],
        // An app registration's object id, as secret rotation expects.
        apps: ['11111111-1111-4111-8111-111111111111'],
      },
    },
    new Date(),
  );
}

/** Starts `playbook` as a drill and returns the incident id. */
export async function startDrill(
  client: Client,
  config: ReflexConfig,
  playbook: LoadedPlaybook,
  alert: Alert,
  publicUrl: string,
): Promise<string> {
  const incidentId = `${playbook.definition.id}-drill-${randomBytes(6).toString('hex')}`;
  const input: IncidentInput = {
    incidentId,
    playbook: playbook.resolved,
    alert,
    contacts: resolveContacts(config.contacts),
    organisation: resolveOrganisation(config, publicUrl),
    drill: true,
  };
  await client.workflow.start('runPlaybook', {
    workflowId: incidentId,
    taskQueue: config.temporal.taskQueue,
    args: [input],
    memo: { playbookId: playbook.resolved.id, playbookVersion: playbook.resolved.version, drill: true },
  });
  return incidentId;
}

export async function incidentCommand(
  command: string,
  positionals: string[],
  flags: { alert?: string; as?: string; reject?: boolean; note?: string; playbooksDir: string },
  config: ReflexConfig,
  io: Output,
): Promise<number> {
  const publicUrl = config.server.publicUrl ?? `http://127.0.0.1:${config.server.port}`;
  switch (command) {
    case 'drill': {
      const playbook = loadPlaybooks(flags.playbooksDir).find((p) => p.definition.id === positionals[0]);
      if (!playbook) {
        io.err(`reflex drill: no playbook "${positionals[0] ?? ''}" (see 'reflex playbooks list')`);
        return 2;
      }
      let alert = sampleAlert(playbook);
      if (flags.alert) {
        const text = readFileSync(flags.alert, 'utf8');
        let body: unknown;
        try {
          body = JSON.parse(text);
        } catch (err) {
          io.err(`reflex drill: ${flags.alert}: not JSON (${(err as Error).message})`);
          return 2;
        }
        const parsed = (() => {
          try {
            return fromGeneric('drill', body, new Date());
          } catch (err) {
            io.err(
              `reflex drill: ${flags.alert}: not a generic alert (docs/ALERT-SCHEMA.md): ${(err as Error).message}`,
            );
            return undefined;
          }
        })();
        if (!parsed) return 2;
        alert = parsed;
      }
      const id = await withClient(config, (client) => startDrill(client, config, playbook, alert, publicUrl));
      io.out(`Drill started: incident ${id} (DRILL: actions take their dry-run path).`);
      io.out(`  ${publicUrl}/board/incidents/${id}`);
      return 0;
    }
    case 'approve': {
      const [incidentId, stepId] = positionals;
      if (!incidentId || !stepId || !flags.as) {
        io.err('usage: reflex approve <incident> <step> --as <approver e-mail> [--reject] [--note text]');
        return 2;
      }
      const result = await withClient(config, (client) =>
        client.workflow.getHandle(incidentId).executeUpdate(decideApprovalUpdate, {
          args: [
            {
              stepId,
              approver: flags.as!,
              decision: flags.reject ? 'reject' : 'approve',
              comment: flags.note,
              userAgent: 'reflex-cli',
            },
          ],
        }),
      );
      io.out(
        `${flags.reject ? 'Rejected' : 'Approved'}: step ${stepId} is now ${result.outcome} (${result.approvals}/${result.quorum} approvals).`,
      );
      return 0;
    }
    case 'resolve':
    case 'abort': {
      const [incidentId] = positionals;
      if (!incidentId || !flags.as) {
        io.err(`usage: reflex ${command} <incident> --as <your e-mail> [--false-positive] [--note text]`);
        return 2;
      }
      const state = await withClient(config, (client) => {
        const handle = client.workflow.getHandle(incidentId);
        return command === 'abort'
          ? handle.executeUpdate(abortIncidentUpdate, { args: [{ by: flags.as!, note: flags.note }] })
          : handle.executeUpdate(resolveIncidentUpdate, {
              args: [{ by: flags.as!, note: flags.note, as: flags.reject ? 'false-positive' : 'contained' }],
            });
      });
      io.out(`Incident ${incidentId} is now ${state.status}.`);
      return 0;
    }
  }
  return 2;
}
