// Posts to the chat channels of the groups a message is for (contacts.channels), after its e-mail went
// out. Each post is recorded on the timeline, posted or failed with the reason; a failure never stops
// the playbook — e-mail is the default and has gone already. Only runs when the pinned contacts name
// channels, so incidents started without any replay exactly as before.
import { isCancellation, proxyActivities } from '@temporalio/workflow';
import type { ReflexActivities } from '../activities';
import { CHAT } from './activity-options';
import type { Incident } from './incident';
import { describe } from './describe';

const { 'chat.post': post } = proxyActivities<ReflexActivities>(CHAT);

export interface ChatPost {
  /** The step the message is about, and a key that makes its activity id unique within the step. */
  step: string;
  key: string;
  title: string;
  text?: string;
  facts?: Array<{ title: string; value: string }>;
  deadline?: string;
  button: { title: string; path: string };
}

/** Channels of these groups, each once. */
export function channelsOf(incident: Incident, groups: readonly string[]): string[] {
  const channels = incident.input.contacts.channels ?? {};
  return [...new Set(groups.flatMap((g) => channels[g] ?? []))];
}

/** The groups any of these addresses belongs to. */
export function groupsOf(incident: Incident, addresses: readonly string[]): string[] {
  const wanted = new Set(addresses.map((a) => a.toLowerCase()));
  return Object.entries(incident.input.contacts.groups)
    .filter(([, members]) => members.some((m) => wanted.has(m.toLowerCase())))
    .map(([group]) => group);
}

export async function postToChannels(incident: Incident, groups: readonly string[], message: ChatPost) {
  const channels = channelsOf(incident, groups);
  if (channels.length === 0) return;
  const { incidentId, drill } = incident.state;
  const base = incident.input.organisation.publicUrl.replace(/\/$/, '');
  await Promise.all(
    channels.map(async (channel) => {
      try {
        await post({
          incidentId,
          stepId: `${message.step}.chat.${message.key}.${channel}`,
          drill,
          args: {
            channel,
            title: message.title,
            text: message.text ?? '',
            facts: message.facts ?? [],
            deadline: message.deadline,
            button: { title: message.button.title, url: `${base}${message.button.path}` },
            drill,
          },
        });
        incident.audit.add('chat.posted', 'reflex', { step: message.step, channel });
      } catch (err) {
        if (isCancellation(err)) throw err;
        incident.audit.add('chat.failed', 'reflex', { step: message.step, channel, error: describe(err) });
      }
    }),
  );
}
