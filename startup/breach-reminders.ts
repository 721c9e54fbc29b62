// The breach register's reminder: an incident the DPO was told about (the dpo-art33 notification) with
// no decision recorded when its 72-hour deadline is near gets one e-mail to the DPO, and the reminder
// is on the incident's timeline. Runs in every process with a worker (they hold the mail transport);
// the reminder's claim in the database lets exactly one of them send it.
import type { Mailer } from '../mail/transport';
import type { ReflexConfig } from '../config/schema';
import type { Logger } from '../common/logger';
import type { LoadedPlaybook } from '../playbooks/load';
import type { Contacts } from '../workflows/model/incident';
import { auditEvent } from '../workflows/model/audit-events';
import { toMs } from '../workflows/model/durations';
import { formatTime } from '../activities/notify/send';
import { BreachRegister, type RegisterEntry } from '../storage/breach-register';
import type { Storage } from './storage';
import type { Resources } from './resources';

export function startBreachReminders(
  inputs: {
    config: ReflexConfig;
    storage: Storage;
    mailer: Mailer;
    playbooks: readonly LoadedPlaybook[];
    contacts: Contacts;
    publicUrl: string;
    log: Logger;
  },
  resources: Resources,
): void {
  const { config, storage, log } = inputs;
  const register = new BreachRegister(storage.db, storage.audit, storage.incidents);
  const before = toMs(config.notifications.breachReminder.before);
  const dpoOf = (entry: RegisterEntry) =>
    inputs.playbooks.find((p) => p.definition.id === entry.incident.playbook.id)?.contacts?.dpo ??
    inputs.contacts.dpo;

  const remind = async (entry: RegisterEntry) => {
    if (!(await register.claimReminder(entry.incident.id))) return;
    const to = dpoOf(entry);
    const nl = config.organisation.locale === 'nl';
    const deadline = formatTime(entry.deadline, config.organisation.locale, config.organisation.timeZone);
    const link = `${inputs.publicUrl.replace(/\/$/, '')}/breaches/${encodeURIComponent(entry.incident.id)}`;
    try {
      await inputs.mailer.sendMail({
        from: config.mail.from,
        to,
        subject: nl
          ? `[Reflex] Besluit voor het register van datalekken nodig vóór ${deadline}`
          : `[Reflex] Breach register: a decision is due by ${deadline}`,
        text: nl
          ? `Voor incident ${entry.incident.id} (${entry.incident.playbook.title}) bij ${config.organisation.name} is nog geen besluit vastgelegd: gemeld bij de Autoriteit Persoonsgegevens of niet, en de betrokkenen ingelicht of niet.\nDe termijn van 72 uur loopt af op ${deadline}.\n\nLeg het besluit vast: ${link}\n`
          : `No decision is recorded yet for incident ${entry.incident.id} (${entry.incident.playbook.title}) at ${config.organisation.name}: reported to the Autoriteit Persoonsgegevens or not, and the people affected informed or not.\nThe 72-hour deadline is ${deadline}.\n\nRecord the decision: ${link}\n`,
        headers: { 'X-Reflex-Incident': entry.incident.id, 'X-Reflex-Template': 'breach-reminder' },
      });
    } catch (err) {
      await register.releaseReminder(entry.incident.id);
      throw err;
    }
    await storage.audit.append([
      auditEvent('breach.reminded', {
        eventId: `${entry.incident.id}:breach-reminder`,
        chainId: entry.incident.id,
        at: new Date().toISOString(),
        actor: 'reflex',
        content: { to: [to], deadline: entry.deadline },
      }),
    ]);
    log.info({ incident: entry.incident.id }, 'breach register: reminded the DPO');
  };

  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  const tick = () => {
    if (stopped) return;
    running = register
      .due(before)
      .then(async (due) => {
        for (const entry of due) await remind(entry);
      })
      .catch((err: unknown) => log.warn({ err }, 'breach register: reminder check failed; will retry'))
      .finally(() => {
        if (!stopped) {
          timer = setTimeout(tick, config.notifications.breachReminder.checkSeconds * 1000);
          timer.unref();
        }
      });
  };
  tick();
  resources.add('breach reminders', async () => {
    stopped = true;
    clearTimeout(timer);
    await running;
  });
}
