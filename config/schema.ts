// The shape of reflex.yaml. Parsed once at the edge; everything downstream receives typed values.
import { z } from 'zod';
import { sourceSchema } from '../triggers/source';
import { patternProblem } from '../common/patterns';
import { CONTENT_TYPES } from '../triggers/logs/management-activity';
import { ROLES } from '../server/roles';
import type { AccessToken } from '../server/access';
import { LOCALES } from '../workflows/model/locale';
import { durationSchema } from '../playbooks/schema';
import { MAX_CONNECTIONS } from '../mail/limits';

const secret = z.string().min(1);

const groupName = z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/);

/** The address book: who is told, and who may approve. */
const contactsSchema = z.object({
  onCall: z.array(z.email()).min(1).default(['oncall@example.org']),
  dpo: z.email().default('dpo@example.org'),
  /** The NCSC contact (or your sector CERT) that receives incident reports. */
  ncsc: z.email().optional(),
  /** Owner of applications and secrets, told when a secret is rotated. */
  owner: z.email().optional(),
  /** Approver groups by name; `on-call` and `dpo` always exist. */
  groups: z.record(groupName, z.array(z.email()).min(1)).default({}),
  /** Who gets notifications and approval requests during drills. @default onCall */
  drillRecipients: z.array(z.email()).min(1).optional(),
  /**
   * Chat channels (names from chat.channels) that a group's messages also go to, by group: approval
   * requests to the group, and notifications to anyone in it. E-mail always goes too.
   */
  channels: z.record(groupName, z.array(z.string().min(1)).min(1)).default({}),
});

/** Teams and Slack channels, reached by webhook (their URLs are credentials: use ${ENV}). */
const chatSchema = z
  .object({
    channels: z
      .array(
        z
          .object({
            name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'lowercase letters, digits and dashes'),
            /** teams: a Teams "Workflows" webhook (Adaptive Card); slack: a Slack incoming webhook. */
            kind: z.enum(['teams', 'slack']),
            url: z.url({ protocol: /^https?$/ }),
          })
          .strict(),
      )
      .default([])
      .superRefine(uniqueNames('chat channel')),
  })
  .strict();

const playbookId = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'a playbook id: lowercase letters, digits and dashes');

/** What the configuration may change in one playbook without copying it. */
const playbookOverrideSchema = z
  .object({
    /** Merged over `contacts` for this playbook's incidents (groups are merged by name). */
    contacts: z
      .object({
        onCall: z.array(z.email()).min(1).optional(),
        dpo: z.email().optional(),
        ncsc: z.email().optional(),
        owner: z.email().optional(),
        groups: z.record(groupName, z.array(z.email()).min(1)).optional(),
        drillRecipients: z.array(z.email()).min(1).optional(),
      })
      .strict()
      .optional(),
    /** Per step id: who approves it, how many, and how long they have. */
    steps: z
      .record(
        z.string().min(1),
        z
          .object({
            approvers: z.array(groupName).min(1).optional(),
            quorum: z.number().int().min(1).max(10).optional(),
            timeout: durationSchema.optional(),
            escalation: z
              .array(z.object({ after: durationSchema, approvers: z.array(groupName).min(1) }).strict())
              .optional(),
          })
          .strict(),
      )
      .default({}),
  })
  .strict();
export type PlaybookOverride = z.infer<typeof playbookOverrideSchema>;

/** Which playbooks run: the shipped library (all, none or some), your own folders, and overrides. */
const playbooksSchema = z
  .object({
    /** The shipped library: true (all), false (none), or the ids to keep. @default true */
    shipped: z.union([z.boolean(), z.array(playbookId).min(1)]).default(true),
    /** Folders of your own playbooks (*.yaml), beside the shipped ones; relative to where Reflex starts. */
    dirs: z.array(z.string().min(1)).default([]),
    /** Changes to a playbook (shipped or your own) by id, without copying it. */
    overrides: z.record(playbookId, playbookOverrideSchema).default({}),
    /** The board's sign-off of playbooks (`reflex playbooks approve`, /board/playbooks). */
    signOff: z
      .object({
        /**
         * A playbook whose content changed since its sign-off: `run-and-flag` runs it as written and says
         * so on its timeline; `require-approval` makes every step that would act without a person
         * (approval: none) ask on-call first. @default run-and-flag
         */
        whenChanged: z.enum(['run-and-flag', 'require-approval']).default('run-and-flag'),
        /**
         * Signs each sign-off record (HMAC). Every process of one installation needs the same value.
         * Empty: one is made once and kept in dataDir (fine for a single server).
         */
        secret: z.string().min(32, 'at least 32 characters').optional(),
        /** The readiness check flags a playbook whose last drill is older than this. @default 90 */
        drillMaxAgeDays: z.number().int().min(1).max(3650).default(90),
      })
      .strict()
      .prefault({}),
  })
  .strict();

/** Who has a role when they sign in: members of these Entra groups (object ids), or these addresses. */
const oidcRoleSchema = z
  .object({
    groups: z.array(z.string().min(1)).default([]),
    emails: z.array(z.email()).default([]),
  })
  .strict();

const oidcSchema = z
  .object({
    /**
     * The provider's issuer. @default https://login.microsoftonline.com/<entra.tenantId>/v2.0
     */
    issuer: z.url({ protocol: /^https$/ }).optional(),
    /** The app registration people sign in to (a "Web" platform with redirect URI <publicUrl>/login/oidc/callback). */
    clientId: z.string().min(1),
    clientSecret: secret,
    /** The sign-in button's words. @default Sign in with Microsoft */
    label: z.string().min(1).max(60).default('Sign in with Microsoft'),
    /** Who gets which role; the highest that matches wins. Anyone else is refused. */
    roles: z
      .object({
        board: oidcRoleSchema.prefault({}),
        responder: oidcRoleSchema.prefault({}),
        admin: oidcRoleSchema.prefault({}),
      })
      .strict()
      .prefault({}),
  })
  .strict();
export type OidcConfig = z.infer<typeof oidcSchema>;

/** Who may use the API and the board pages. Each token has one role; roles include the ones before. */
export const accessTokenSchema = z
  .object({
    /** Shown in logs and on the audit trail instead of the token. */
    name: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,62}$/, 'lowercase letters, digits, dots and dashes'),
    /** board: reads timelines and reports; responder: also approves, resolves, runs drills; admin: also reads configuration. */
    role: z.enum(ROLES),
    /** The person behind a responder token: approvals made with it are theirs. */
    email: z.email().optional(),
    /** The token itself (at least 24 characters; use ${ENV}). */
    token: z.string().min(24, 'at least 24 characters').optional(),
    /** Or only its SHA-256 in hex, so the config file holds nothing usable (`reflex tokens new`). */
    sha256: z
      .string()
      .regex(/^[0-9a-f]{64}$/, '64 hex digits')
      .optional(),
  })
  .strict()
  .refine(
    (t) => Boolean(t.token) !== Boolean(t.sha256),
    'give exactly one of token or sha256',
  ) satisfies z.ZodType<AccessToken>;

/**
 * A name given twice is refused at the second, naming the first: two tokens by one name would make a
 * sign-in ambiguous, two sources by one name would share a URL.
 */
function uniqueNames(what: string) {
  return (items: ReadonlyArray<{ name: string }>, ctx: z.RefinementCtx) => {
    const first = new Map<string, number>();
    items.forEach((item, index) => {
      const earlier = first.get(item.name);
      if (earlier === undefined) return void first.set(item.name, index);
      ctx.addIssue({
        code: 'custom',
        path: [index, 'name'],
        message: `another ${what} is already named "${item.name}" ([${earlier}]); names must be unique`,
      });
    });
  };
}

export const configSchema = z.object({
  /** Where Reflex keeps its embedded state (Temporal's SQLite file, the embedded database). */
  dataDir: z.string().min(1).default('./data'),
  server: z
    .object({
      port: z.coerce.number().int().min(0).max(65535).default(8080),
      host: z.string().default('127.0.0.1'),
      /** The address people reach Reflex at; used in e-mailed links. */
      publicUrl: z.url().optional(),
      /**
       * Signs the approval pages' CSRF tokens. Every server process of one installation needs the
       * same value. Empty: one is made once and kept in dataDir (fine for a single server).
       */
      secret: z.string().min(32, 'at least 32 characters').optional(),
      /**
       * How often the server runs the readiness check (`reflex doctor`) on its own, for the metrics
       * and the log, in minutes; 0: only when an admin asks (GET /api/readiness). @default 60
       */
      readinessCheckMinutes: z.number().int().min(0).max(10_080).default(60),
      /** How often sources with `expectEvery` are checked for silence, in seconds. @default 60 */
      silenceCheckSeconds: z.number().int().min(1).max(3600).default(60),
      /** Largest webhook body accepted, in bytes. @default 262144 */
      maxBodyBytes: z
        .number()
        .int()
        .positive()
        .default(256 * 1024),
      /**
       * The intake journal (docs/decisions/004-intake-journal.md): an accepted alert is written to the
       * database before the 202 and its incident opened at once, or by the journal's drainer.
       */
      journal: z
        .object({
          /**
           * Incidents the intake opens itself at once; an alert beyond them is opened by the journal's
           * drainer instead. 0: always the drainer. @default 256
           */
          openingsInFlight: z.number().int().min(0).max(10_000).default(256),
          /**
           * While fewer openings than this are in flight, the 202 waits (up to 5 s) for Temporal's
           * answer and says what it did; beyond, the 202 goes out as soon as the alert is journalled
           * (`pending: true`) and the opening goes on behind it: an alert storm is not slowed down to
           * Temporal's start rate. @default 16
           */
          answerWaitsBelow: z.number().int().min(0).max(10_000).default(16),
          /** Alerts waiting to be opened above which the intake answers 503 (bounds the disk). @default 100000 */
          maxPending: z.number().int().min(1).max(10_000_000).default(100_000),
        })
        .prefault({}),
    })
    .prefault({}),
  temporal: z
    .object({
      /** host:port of a Temporal cluster. Empty: Reflex runs an embedded dev server. */
      address: z.string().optional(),
      namespace: z.string().min(1).default('default'),
      taskQueue: z.string().min(1).default('reflex'),
      tls: z.boolean().default(false),
      apiKey: secret.optional(),
      /**
       * Workflows a worker keeps in memory. Beyond it, waiting incidents are evicted and replayed from
       * history when they get work, so worker memory is bounded by this, not by the incident count.
       * @default 500
       */
      maxCachedWorkflows: z.number().int().min(0).max(100_000).default(500),
      /** Embedded dev server ports (only when `address` is empty). 0: a free port, chosen at start. */
      devServer: z
        .object({
          port: z.number().int().min(0).max(65535).default(7233),
          uiPort: z.number().int().min(0).max(65535).default(8233),
          /**
           * SQLite's synchronous level for the dev server's file (write-ahead log). full: a 202 survives
           * a power cut; normal: it survives any process crash, a power cut can lose the last commits,
           * for about twice the start rate. @default full
           */
          synchronous: z.enum(['full', 'normal']).default('full'),
        })
        .prefault({}),
    })
    .prefault({}),
  database: z
    .object({
      /** postgres://… Empty: an embedded PostgreSQL (PGlite) in dataDir. */
      url: z.string().optional(),
    })
    .prefault({}),
  mail: z
    .object({
      /** smtp://user:pass@host:587 or smtps://… Empty: the built-in demo mailbox. */
      smtpUrl: z.string().optional(),
      from: z.string().min(3).default('Reflex <reflex@localhost>'),
      /**
       * SMTP connections each worker (or `reflex start`) keeps open to the relay; messages beyond them
       * wait their turn, at most 25 s. @default MAX_CONNECTIONS (3: Exchange Online's limit per mailbox)
       */
      maxConnections: z.number().int().min(1).max(50).default(MAX_CONNECTIONS),
      demoMailbox: z.object({ smtpPort: z.number().int().min(0).max(65535).default(2525) }).prefault({}),
    })
    .prefault({}),
  organisation: z
    .object({
      /** Shown in every message and report. */
      name: z.string().min(1).default('Your organisation'),
      /** IANA time zone for times in messages. @default Europe/Amsterdam */
      timeZone: z
        .string()
        .refine((tz) => {
          try {
            new Intl.DateTimeFormat('en', { timeZone: tz });
            return true;
          } catch {
            return false;
          }
        }, 'not an IANA time zone (e.g. Europe/Amsterdam)')
        .default('Europe/Amsterdam'),
      /** Language of the board pages and reports unless the reader asks for another. @default en */
      locale: z.enum(LOCALES).default('en'),
    })
    .prefault({}),
  contacts: contactsSchema.prefault({}),
  playbooks: playbooksSchema.prefault({}),
  chat: chatSchema.prefault({}),
  notifications: z
    .object({
      /** Folder of notification templates (<name>.<en|nl>.txt and .html). @default the shipped ones */
      templatesDir: z.string().optional(),
      /** The DPO's reminder when an incident they were told about has no breach-register decision. */
      breachReminder: z
        .object({
          /** Remind this long before the 72-hour deadline. @default 24h */
          before: durationSchema.default('24h'),
          /** How often workers look for incidents due, in seconds. @default 300 */
          checkSeconds: z.number().int().min(1).max(86_400).default(300),
        })
        .strict()
        .prefault({}),
    })
    .prefault({}),
  entra: z
    .object({
      tenantId: z.string().optional(),
      clientId: z.string().optional(),
      clientSecret: secret.optional(),
      authorityHost: z.url().optional(),
      graphBaseUrl: z.url().optional(),
    })
    .refine(
      (e) =>
        [e.tenantId, e.clientId, e.clientSecret].every(Boolean) ||
        ![e.tenantId, e.clientId, e.clientSecret].some(Boolean),
      {
        message:
          'Entra ID needs all of tenantId, clientId and clientSecret (ENTRA_TENANT_ID, ENTRA_CLIENT_ID, ENTRA_CLIENT_SECRET), or none of them',
      },
    )
    .prefault({}),
  access: z
    .object({
      tokens: z.array(accessTokenSchema).default([]).superRefine(uniqueNames('token')),
      /** What one address may try a minute before it gets 429 with Retry-After (guessing is slowed). */
      attemptsPerMinute: z
        .object({
          /** Requests with a Bearer token that is not one. @default 30 */
          failedTokens: z.number().int().min(1).max(100_000).default(30),
          /** Sign-ins at /login. @default 10 */
          signIns: z.number().int().min(1).max(100_000).default(10),
          /** Approval pages opened or posted. @default 60 */
          approvalLinks: z.number().int().min(1).max(100_000).default(60),
        })
        .strict()
        .prefault({}),
      /**
       * Sign in with Microsoft (OpenID Connect with Entra ID, or any OpenID provider): people sign in
       * with their own account and get the role their groups or address give them. Tokens stay for
       * scripts and organisations without Entra.
       */
      oidc: oidcSchema.optional(),
      /** How long a browser sign-in lasts, in hours. @default 12 */
      sessionHours: z
        .number()
        .positive()
        .max(24 * 30)
        .default(12),
    })
    .prefault({}),
  sources: z.array(sourceSchema).default([]).superRefine(uniqueNames('source')),
  /** Log triggers: Reflex reads logs itself and raises alerts from rules (no SIEM needed). */
  logs: z
    .object({
      /** Use the rules shipped in triggers/rules. @default true */
      shippedRules: z.boolean().default(true),
      /** More rule files or folders. */
      rules: z.array(z.string().min(1)).default([]),
      /** How often files are read, in milliseconds. @default 1000 */
      pollMs: z.number().int().min(50).max(60_000).default(1000),
      /**
       * With PostgreSQL, several servers may have log triggers configured: one at a time reads them,
       * holding a lease it renews every third of this; when it dies, another takes over after this
       * long at most. @default 15
       */
      leaseSeconds: z.number().int().min(3).max(600).default(15),
      files: z
        .array(
          z
            .object({
              name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'lowercase letters, digits and dashes'),
              path: z.string().min(1),
              /** jsonl: one JSON object per line; regex: `pattern` with named groups. */
              format: z.enum(['jsonl', 'regex']).default('jsonl'),
              pattern: z.string().optional(),
              /** What the records are, for rules' `kinds` (entra-signin, entra-audit, m365-audit, …). */
              kind: z.string().min(1),
              drill: z.boolean().default(false),
              /** Silent longer than this (no new line), on-call is told once, and again when it speaks. */
              expectEvery: durationSchema.optional(),
            })
            .strict()
            .refine((f) => f.format !== 'regex' || Boolean(f.pattern), 'format regex needs a pattern')
            .superRefine((f, ctx) => {
              const problem = f.pattern ? patternProblem(f.pattern) : undefined;
              if (problem) ctx.addIssue({ code: 'custom', path: ['pattern'], message: problem });
            }),
        )
        .default([]),
      syslog: z
        .object({
          name: z.string().default('syslog'),
          host: z.string().default('127.0.0.1'),
          udpPort: z.number().int().min(0).max(65535).optional(),
          tcpPort: z.number().int().min(0).max(65535).optional(),
          kind: z.string().default('syslog'),
          drill: z.boolean().default(false),
          /** Silent longer than this (no message), on-call is told once, and again when it speaks. */
          expectEvery: durationSchema.optional(),
        })
        .strict()
        .optional(),
      /** Entra ID's own logs through Microsoft Graph (needs the entra settings and AuditLog.Read.All). */
      graph: z
        .object({
          /** Sign-in logs, as records of kind entra-signin. */
          signIns: z.boolean().default(false),
          /** Directory audit logs, as records of kind entra-audit. */
          directoryAudits: z.boolean().default(false),
          /** Seconds between polls. @default 60 */
          intervalSeconds: z.number().int().min(1).max(3600).default(60),
          /** How far back the very first poll reaches, in minutes. @default 60 */
          lookbackMinutes: z.number().int().min(1).max(10_080).default(60),
          /** Graph logs arrive late: each poll looks this many minutes before its cursor again. @default 10 */
          overlapMinutes: z.number().int().min(0).max(1440).default(10),
          drill: z.boolean().default(false),
        })
        .strict()
        .optional(),
      /**
       * The Microsoft 365 unified audit log through the Office 365 Management Activity API, as records
       * of kind m365-audit (needs the entra settings and ActivityFeed.Read on Office 365 Management APIs).
       */
      m365Audit: z
        .object({
          contentTypes: z
            .array(z.enum(CONTENT_TYPES))
            .min(1)
            .default([...CONTENT_TYPES]),
          /** Seconds between polls. @default 60 */
          intervalSeconds: z.number().int().min(1).max(3600).default(60),
          /** How far back the very first poll reaches, in hours (the API keeps 7 days). @default 24 */
          lookbackHours: z.number().int().min(1).max(168).default(24),
          /** Content is listed late: each poll looks this many minutes before its cursor again. @default 120 */
          overlapMinutes: z.number().int().min(0).max(720).default(120),
          /** Content blobs fetched per poll at most; the rest wait for the next. @default 200 */
          maxBlobsPerPoll: z.number().int().min(1).max(10_000).default(200),
          /** For sovereign clouds (e.g. https://manage.office365.us) and tests. @default https://manage.office.com */
          baseUrl: z.url().optional(),
          drill: z.boolean().default(false),
        })
        .strict()
        .optional(),
    })
    .prefault({}),
  /** Where rotated secrets are delivered (secrets.rotateAppSecret's `store`). */
  secretStores: z
    .array(
      z.discriminatedUnion('type', [
        z
          .object({
            name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'lowercase letters, digits and dashes'),
            type: z.literal('webhook'),
            /** HTTPS endpoint in front of the organisation's secret manager. */
            url: z
              .url()
              .refine(
                (u) => u.startsWith('https://') || /^http:\/\/(localhost|127\.0\.0\.1)[:/]/.test(u),
                'must be https://',
              ),
            /** Bearer token the endpoint expects. */
            token: secret,
          })
          .strict(),
      ]),
    )
    .default([]),
  actions: z
    .object({
      http: z
        .object({
          /**
           * Named secrets http.request steps may put in headers ({ secret: name }), each with the only
           * origins it may be sent to: `crm: { value: ${CRM_TOKEN}, origins: [https://crm.museum.example] }`.
           */
          secrets: z
            .record(
              z
                .string()
                .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, 'letters, digits, dots, dashes and underscores'),
              z
                .object(
                  {
                    value: secret,
                    origins: z
                      .array(
                        z
                          .url()
                          .refine(
                            (u) => new URL(u).origin === u.replace(/\/$/, ''),
                            'an origin: scheme, host and port, no path',
                          ),
                      )
                      .min(1, 'at least one origin the secret may be sent to'),
                  },
                  { error: 'give { value, origins }: the secret, and the origins it may be sent to' },
                )
                .strict(),
            )
            .default({}),
        })
        .prefault({}),
    })
    .prefault({}),
  /** Calls Reflex makes to other systems (http.request, secret stores). */
  outbound: z
    .object({
      /**
       * Let them reach this machine. Off by default: the embedded Temporal and Reflex itself listen
       * here and trust local callers. For local stand-ins in tests. @default false
       */
      allowLoopback: z.boolean().default(false),
    })
    .prefault({}),
});

export type ReflexConfig = z.infer<typeof configSchema>;
export type { SourceConfig, SourceAuth } from '../triggers/source';
export type { AccessToken } from '../server/access';
