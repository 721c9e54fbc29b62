// Responder commands through the incident gateway: drill, approve/reject, resolve, abort.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import type { ReflexConfig } from '../../config/schema';
import { resolveContacts, resolveOrganisation } from '../../config/contacts';
import type { LoadedPlaybook } from '../../playbooks/load';
import { IncidentGateway } from '../../temporal/incident-gateway';
import { drillAlert } from '../../triggers/drill-alert';
import { EMBEDDED_ADDRESS_FILE } from '../../startup/temporal';
import type { Alert } from '../../workflows/model/alert';
import type { Output } from './playbooks';

/**
 * The Temporal address a CLI command talks to: the cluster, or the embedded dev server of `reflex start`
 * (on its configured port, or where the running one says it drew its port).
 */
export function cliTemporalAddress(config: ReflexConfig): string {
  if (config.temporal.address) return config.temporal.address;
  if (config.temporal.devServer.port) return `127.0.0.1:${config.temporal.devServer.port}`;
  const file = join(resolve(config.dataDir), EMBEDDED_ADDRESS_FILE);
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    throw new Error(
      `temporal.devServer.port is 0 and ${file} does not exist: start Reflex (reflex start) first, or set TEMPORAL_ADDRESS`,
    );
  }
}

/** Where people reach Reflex, for the links a command prints and the incidents it starts. */
export function cliPublicUrl(config: ReflexConfig): string {
  return config.server.publicUrl ?? `http://127.0.0.1:${config.server.port}`;
}

async function withGateway<T>(
  config: ReflexConfig,
  fn: (gateway: IncidentGateway) => Promise<T>,
): Promise<T> {
  const connection = await Connection.connect({
    address: cliTemporalAddress(config),
    tls: config.temporal.tls || undefined,
    apiKey: config.temporal.apiKey,
  });
  try {
    const gateway = new IncidentGateway({
      client: new Client({ connection, namespace: config.temporal.namespace }),
      taskQueue: config.temporal.taskQueue,
      contacts: resolveContacts(config.contacts),
      organisation: resolveOrganisation(config, cliPublicUrl(config)),
    });
    return await fn(gateway);
  } finally {
    await connection.close();
  }
}

export async function incidentCommand(
  command: string,
  positionals: string[],
  flags: {
    alert?: string;
    as?: string;
    reject?: boolean;
    note?: string;
    playbooks: () => readonly LoadedPlaybook[];
  },
  config: ReflexConfig,
  io: Output,
): Promise<number> {
  const publicUrl = cliPublicUrl(config);
  switch (command) {
    case 'drill': {
      const playbook = flags.playbooks().find((p) => p.definition.id === positionals[0]);
      if (!playbook) {
        io.err(`reflex drill: no playbook "${positionals[0] ?? ''}" (see 'reflex playbooks list')`);
        return 2;
      }
      let body: unknown;
      if (flags.alert) {
        let text: string;
        try {
          text = readFileSync(flags.alert, 'utf8');
        } catch (err) {
          io.err(`reflex drill: ${flags.alert}: cannot read (${(err as NodeJS.ErrnoException).code})`);
          return 2;
        }
        try {
          body = JSON.parse(text);
        } catch (err) {
          io.err(`reflex drill: ${flags.alert}: not JSON (${(err as Error).message})`);
          return 2;
        }
      }
      let alert: Alert;
      try {
        alert = drillAlert(playbook, body);
      } catch (err) {
        io.err(
          `reflex drill: ${flags.alert}: not a generic alert (docs/ALERT-SCHEMA.md): ${(err as Error).message}`,
        );
        return 2;
      }
      const id = await withGateway(config, (gateway) => gateway.drill(playbook, alert));
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
      const result = await withGateway(config, (gateway) =>
        gateway.decide(incidentId, {
          stepId,
          approver: flags.as!,
          decision: flags.reject ? 'reject' : 'approve',
          comment: flags.note,
          userAgent: 'reflex-cli',
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
      const state = await withGateway(config, (gateway) =>
        command === 'abort'
          ? gateway.abort(incidentId, { by: flags.as!, note: flags.note })
          : gateway.resolve(incidentId, {
              by: flags.as!,
              note: flags.note,
              as: flags.reject ? 'false-positive' : 'contained',
            }),
      );
      io.out(`Incident ${incidentId} is now ${state.status}.`);
      return 0;
    }
  }
  return 2;
}
