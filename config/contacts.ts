// The address book an incident carries (pinned at start, like its playbook).
import type { ReflexConfig } from './schema';
import type { Contacts, Organisation } from '../workflows/model/incident';

export function resolveContacts(contacts: ReflexConfig['contacts']): Contacts {
  return {
    onCall: contacts.onCall,
    dpo: contacts.dpo,
    ncsc: contacts.ncsc,
    owner: contacts.owner,
    groups: { 'on-call': contacts.onCall, dpo: [contacts.dpo], ...contacts.groups },
    drillRecipients: contacts.drillRecipients ?? contacts.onCall,
    channels: contacts.channels ?? {},
  };
}

export function resolveOrganisation(config: ReflexConfig, url: string): Organisation {
  return { name: config.organisation.name, publicUrl: config.server.publicUrl ?? url };
}
