// The inbox rules attackers leave behind (Microsoft Graph messageRules): rules that forward or
// redirect mail outside the organisation, move it where nobody looks (RSS Feeds, Archive, Deleted
// Items) or delete it on arrival, so that the victim never sees the replies to the attacker's fraud
// or the "was this you?" mail. Found, removed, and kept whole on the audit record so that a false
// positive can put them back. Rule names and addresses are the attacker's text: they are data here.
import type { Client } from '@microsoft/microsoft-graph-client';
import { z } from 'zod';
import { activitiesOf, defineAction, structured } from '../action';
import {
  isNotFound,
  listAll,
  plannedRemovals,
  removeIfPresent,
  userPath,
  userRefSchema,
  withGraph,
  type GraphDeps,
} from '../entra/graph';

const domainSchema = z
  .string()
  .regex(/^[A-Za-z0-9.-]+\.[A-Za-z]{2,}$/, 'a domain such as museum.example')
  .transform((d) => d.toLowerCase());

const findArgsSchema = z
  .object({
    user: userRefSchema,
    /** Domains that count as inside the organisation, besides the mailbox's own. */
    internalDomains: z.array(domainSchema).max(50).default([]),
  })
  .strict();

/** A rule as Graph gives it, kept whole (conditions, exceptions and all) so it can be created again. */
const ruleSchema = z
  .object({
    id: z.string(),
    displayName: z.string().optional(),
    sequence: z.number().optional(),
    isEnabled: z.boolean().optional(),
    conditions: z.record(z.string(), z.unknown()).nullable().optional(),
    exceptions: z.record(z.string(), z.unknown()).nullable().optional(),
    actions: z.record(z.string(), z.unknown()).nullable().optional(),
  })
  .passthrough();
type Rule = z.infer<typeof ruleSchema>;

/** A removed rule and why it was judged suspicious, in plain words. */
interface RemovedRule {
  rule: Rule;
  why: string[];
}

const rulesPath = (user: string) => `${userPath(user)}/mailFolders/inbox/messageRules`;

/**
 * Folders nobody looks in: Deleted Items and Archive by their well-known names, RSS Feeds by name.
 * Reading folders needs `Mail.ReadBasic.All`; without it (403) moves are not judged, and the
 * output says so.
 */
async function hidingFolders(c: Client, user: string): Promise<Map<string, string> | undefined> {
  const folders = new Map<string, string>();
  try {
    for (const [wellKnown, label] of [
      ['deleteditems', 'Deleted Items'],
      ['archive', 'Archive'],
    ] as const) {
      try {
        const folder = (await c
          .api(`${userPath(user)}/mailFolders/${wellKnown}`)
          .select('id')
          .get()) as {
          id: string;
        };
        folders.set(folder.id, label);
      } catch (err) {
        if (!isNotFound(err)) throw err; // a mailbox without an archive
      }
    }
    // RSS Feeds has no well-known name; its display name is localised ("RSS Feeds", "RSS-feeds" …).
    const all = await listAll<{ id: string; displayName?: string }>(c, `${userPath(user)}/mailFolders`);
    for (const f of all)
      if (/^rss/i.test(f.displayName ?? '')) folders.set(f.id, f.displayName ?? 'RSS Feeds');
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode === 403) return undefined;
    throw err;
  }
  return folders;
}

const addressesOf = (recipients: unknown): string[] =>
  Array.isArray(recipients)
    ? recipients
        .map((r) => (r as { emailAddress?: { address?: unknown } })?.emailAddress?.address)
        .filter((a): a is string => typeof a === 'string')
    : [];

const FORWARDS = [
  ['forwardTo', 'forwards'],
  ['redirectTo', 'redirects'],
  ['forwardAsAttachmentTo', 'forwards as attachment'],
] as const;

const actionsOf = (rule: Rule) => (rule.actions ?? {}) as Record<string, unknown>;
/** Whether the rule sends mail anywhere (inside or outside: telling which needs the mailbox's domains). */
const forwards = (rule: Rule) => FORWARDS.some(([field]) => addressesOf(actionsOf(rule)[field]).length > 0);
/** Whether the rule moves mail to a folder (telling which needs the mailbox's folders). */
const moves = (rule: Rule) => typeof actionsOf(rule).moveToFolder === 'string';

/** The domains inside the organisation: the mailbox's own (its sign-in name and address) and the configured ones. */
async function internalDomainsOf(
  c: Client,
  user: string,
  configured: readonly string[],
): Promise<Set<string>> {
  const mailbox = (await c.api(userPath(user)).select(['userPrincipalName', 'mail']).get()) as {
    userPrincipalName: string;
    mail?: string | null;
  };
  return new Set(
    [mailbox.userPrincipalName, mailbox.mail ?? '']
      .map((a) => a.split('@')[1]?.toLowerCase())
      .filter((d): d is string => Boolean(d))
      .concat(configured),
  );
}

/** Why a rule looks like an attacker's, or nothing when it does not. */
export function suspicions(
  rule: Rule,
  internal: ReadonlySet<string>,
  folders: ReadonlyMap<string, string> | undefined,
): string[] {
  const actions = actionsOf(rule);
  const why: string[] = [];
  const outside = (address: string) => !internal.has(address.split('@').pop()!.toLowerCase());
  for (const [field, verb] of FORWARDS) {
    const external = addressesOf(actions[field]).filter(outside);
    if (external.length) why.push(`${verb} mail outside the organisation (to ${external.join(', ')})`);
  }
  const folder = typeof actions.moveToFolder === 'string' ? folders?.get(actions.moveToFolder) : undefined;
  if (folder) why.push(`moves mail to ${folder}`);
  if (actions.delete === true) why.push('deletes mail on arrival');
  if (actions.permanentDelete === true) why.push('permanently deletes mail on arrival');
  return why;
}

const MAILBOX_PERMISSION = {
  needs: ['MailboxSettings.ReadWrite', 'User.Read.All'],
  calls:
    "`GET`/`DELETE /users/{id}/mailFolders/inbox/messageRules/{id}`; when a rule forwards mail, `GET /users/{id}` (the mailbox's own domains); when a rule moves mail and with `Mail.ReadBasic.All`, `GET /users/{id}/mailFolders`, to judge moves to RSS Feeds, Archive and Deleted Items",
};
const action = defineAction<GraphDeps>();

/** Exchange's mailbox-level forwarding is not in Graph: the output says so, for a person to check. */
const NOT_CHECKED =
  'mailbox forwarding set by an administrator (ForwardingSmtpAddress) cannot be read through Microsoft Graph: check it in the Exchange admin center';

const removedOf = (o: unknown) => {
  const r = z
    .object({ user: z.string(), removed: z.array(z.object({ rule: ruleSchema, why: z.array(z.string()) })) })
    .passthrough()
    .safeParse(o);
  return r.success ? r.data : undefined;
};

export const removeSuspiciousInboxRules = action({
  name: 'exchange.removeSuspiciousInboxRules',
  description:
    'Remove inbox rules that forward mail outside the organisation, hide it or delete it (a copy of each is kept)',
  input: findArgsSchema,
  permission: MAILBOX_PERMISSION,
  mutates: true,
  containment: true,
  undo: 'exchange.restoreInboxRules',
  timeoutSeconds: 60,
  maxAttempts: 8,
  dryRun: ({ user }) => [
    { method: 'GET', path: rulesPath(user) },
    { method: 'DELETE', path: `${rulesPath(user)}/{id} (each suspicious rule)` },
  ],
  reports: (o, locale) => {
    const r = removedOf(o);
    if (!r) return undefined;
    const list = r.removed
      .map((x) => `"${x.rule.displayName ?? x.rule.id}" (${x.why.join('; ')})`)
      .join(', ');
    if (locale === 'nl') {
      return r.removed.length
        ? `${r.removed.length} verdachte inboxregel(s) van ${r.user} verwijderd: ${list}; een kopie is bewaard.`
        : `Geen verdachte inboxregels gevonden bij ${r.user}.`;
    }
    return r.removed.length
      ? `Removed ${r.removed.length} suspicious inbox rule(s) of ${r.user}: ${list}; a copy is kept.`
      : `No suspicious inbox rules found for ${r.user}.`;
  },
  async run(deps, { user, internalDomains }, ctx) {
    return withGraph(deps, ctx.action, `remove the suspicious inbox rules of ${user}`, async (c) => {
      // The rules first: most mailboxes have none, or none that forward or move mail, and then the
      // mailbox's domains and its folders are not needed (one Graph request instead of five).
      const rules = await listAll<Rule>(c, rulesPath(user));
      const internal = rules.some(forwards)
        ? await internalDomainsOf(c, user, internalDomains)
        : new Set(internalDomains);
      const folders = rules.some(moves) ? await hidingFolders(c, user) : new Map<string, string>();
      const found = rules
        .map((rule): RemovedRule => ({ rule, why: suspicions(rule, internal, folders) }))
        .filter((r) => r.why.length > 0);
      const plan = plannedRemovals(found, (r) => r.rule.id);
      for (const { rule } of plan) {
        await removeIfPresent(() => c.api(`${rulesPath(user)}/${encodeURIComponent(rule.id)}`).delete());
      }
      const notChecked = folders
        ? [NOT_CHECKED]
        : [
            NOT_CHECKED,
            'rules that move mail to RSS Feeds, Archive or Deleted Items were not judged: reading folder names needs Mail.ReadBasic.All',
          ];
      return { user, removed: plan, kept: rules.length - found.length, notChecked };
    });
  },
});

const restoreArgsSchema = z
  .object({ user: userRefSchema, removed: structured(z.array(z.object({ rule: ruleSchema }).passthrough())) })
  .strict();

/** What a rule is, for telling whether it is there already: everything but its id. */
const shape = (rule: Rule) =>
  JSON.stringify([rule.displayName, rule.conditions ?? null, rule.actions ?? null, rule.exceptions ?? null]);

export const restoreInboxRules = action({
  name: 'exchange.restoreInboxRules',
  description: 'Put back the inbox rules Reflex removed',
  input: restoreArgsSchema,
  drillInput: z
    .object({ user: z.string(), removed: z.unknown() })
    .strict() as unknown as typeof restoreArgsSchema,
  permission: { ...MAILBOX_PERMISSION, calls: '`GET`/`POST /users/{id}/mailFolders/inbox/messageRules`' },
  mutates: true,
  undo: 'exchange.removeSuspiciousInboxRules',
  timeoutSeconds: 60,
  maxAttempts: 8,
  dryRun: ({ user }) => [{ method: 'POST', path: `${rulesPath(user)} (each removed rule)` }],
  reports: (o, locale) => {
    const r = z.object({ user: z.string(), restored: z.number() }).passthrough().safeParse(o);
    if (!r.success) return undefined;
    return locale === 'nl'
      ? `${r.data.restored} inboxregel(s) van ${r.data.user} teruggezet.`
      : `Put back ${r.data.restored} inbox rule(s) of ${r.data.user}.`;
  },
  async run(deps, { user, removed }, ctx) {
    return withGraph(deps, ctx.action, `restore the inbox rules of ${user}`, async (c) => {
      const present = new Set((await listAll<Rule>(c, rulesPath(user))).map(shape));
      let restored = 0;
      for (const { rule } of removed) {
        if (!present.has(shape(rule))) {
          const {
            id: _old,
            '@odata.etag': _etag,
            hasError: _e,
            isReadOnly: _r,
            ...body
          } = rule as Rule & Record<string, unknown>;
          await c.api(rulesPath(user)).post(body);
        }
        restored++;
      }
      return { user, restored };
    });
  },
});

export const EXCHANGE_ACTIONS = [removeSuspiciousInboxRules, restoreInboxRules] as const;

export function createExchangeActivities(deps: GraphDeps) {
  return activitiesOf(EXCHANGE_ACTIONS, deps);
}
