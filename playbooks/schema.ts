// The playbook language: one zod schema for every YAML file in playbooks/. A playbook is data the
// board approves; the interpreter workflow (workflows/run-playbook.ts) runs it.
import { isIP } from 'node:net';
import { z } from 'zod';
import { SEVERITIES } from '../workflows/model/alert';
import type { Condition } from '../workflows/model/conditions';
import { DURATION_PATTERN } from '../workflows/model/durations';
import { patternProblem } from '../common/patterns';

const name = z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'lowercase letters, digits and dashes');

export const durationSchema = z.string().regex(DURATION_PATTERN, 'a duration like 30s, 5m or 2h');

const testSchema = z
  .object({
    equals: z.union([z.string(), z.number(), z.boolean()]).optional(),
    in: z
      .array(z.union([z.string(), z.number(), z.boolean()]))
      .min(1)
      .optional(),
    atLeast: z.enum(SEVERITIES).optional(),
    exists: z.boolean().optional(),
    /** A regular expression, checked when the playbook loads against catastrophic backtracking. */
    matches: z
      .string()
      .superRefine((pattern, ctx) => {
        // Plain JavaScript syntax here: `(?i)` is a rules-only convenience.
        const problem = pattern.startsWith('(?i)')
          ? 'not a valid regular expression'
          : patternProblem(pattern);
        if (problem) ctx.addIssue({ code: 'custom', message: `${JSON.stringify(pattern)}: ${problem}` });
      })
      .optional(),
  })
  .strict()
  .refine((t) => Object.keys(t).length > 0, 'a test needs equals, in, atLeast, exists or matches');

export const conditionSchema: z.ZodType<Condition> = z.lazy(() =>
  z
    .object({
      any: z.array(conditionSchema).min(1).optional(),
      all: z.array(conditionSchema).min(1).optional(),
      not: conditionSchema.optional(),
    })
    .catchall(testSchema)
    .refine((c) => Object.keys(c).length > 0, 'an empty condition'),
) as z.ZodType<Condition>;

export const OUTCOMES = ['proceed', 'skip', 'abort'] as const;
const outcomeSchema = z.enum(OUTCOMES);

export const approvalSchema = z
  .object({
    /** Approver groups (see contacts.groups; `on-call` and `dpo` always exist). */
    approvers: z.array(name).min(1),
    /** Distinct approvals needed: 2 makes a two-person rule. @default 1 */
    quorum: z.number().int().min(1).max(10).default(1),
    /** How long to wait for a decision before `onTimeout` applies. */
    timeout: durationSchema,
    /** Further groups asked when nobody has answered after `after`. */
    escalation: z
      .array(z.object({ after: durationSchema, approvers: z.array(name).min(1) }).strict())
      .default([]),
    /** Reminder e-mails to the groups asked so far, this often. */
    remindEvery: durationSchema.optional(),
    /** What happens when nobody answers in time, optionally depending on the alert. */
    onTimeout: z.union(
      [
        outcomeSchema,
        z.object({ when: conditionSchema, then: outcomeSchema, otherwise: outcomeSchema }).strict(),
      ],
      {
        error: `one of ${OUTCOMES.join(', ')}, or { when, then, otherwise } choosing between them`,
      },
    ),
  })
  .strict();

const stepBase = {
  id: name,
  /** Plain language, shown on timelines and in approval e-mails. */
  description: z.string().min(1),
  /** Run the step only when this holds. */
  when: conditionSchema.optional(),
};

export const compensationSchema = z
  .object({ action: z.string().min(1), with: z.record(z.string(), z.unknown()).optional() })
  .strict();

export const actionStepSchema = z
  .object({
    ...stepBase,
    /** A name from the action catalog (`reflex playbooks schema` lists them). */
    action: z.string().min(1),
    /** Arguments; strings may hold `{{alert.…}}`, `{{entities.…}}`, `{{contacts.…}}`, `{{steps.<id>.output.…}}`. */
    with: z.record(z.string(), z.unknown()).default({}),
    /** Run the action once per item of this list (e.g. `{{entities.users}}`); `{{item}}` is the current one. */
    forEach: z
      .string()
      .regex(/^\{\{\s*[\w.-]+\s*\}\}$/, 'a single template such as {{entities.users}}')
      .optional(),
    /** Per-attempt timeout in seconds. @default the catalog's */
    timeoutSeconds: z.number().int().min(1).max(3600).optional(),
    /** Attempts before the step fails. @default the catalog's */
    maxAttempts: z.number().int().min(1).max(100).optional(),
    /** `none` (pre-approved), or who must approve first. @default none */
    approval: z.union([z.literal('none'), approvalSchema]).default('none'),
    /** The action that undoes this one when the incident is aborted or a false positive. */
    compensate: compensationSchema.optional(),
    /** After a failure: go on with the next step, or abort the incident. @default continue */
    onFailure: z.enum(['continue', 'abort']).default('continue'),
  })
  .strict();

export const notifyStepSchema = z
  .object({
    ...stepBase,
    /** A notification template: on-call, dpo-art33, ncsc, owner or manual-steps. */
    notify: z.string().min(1),
    /** Recipients; a template such as `{{contacts.dpo}}` is allowed. */
    to: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]),
    /** Language of the message. @default en */
    locale: z.enum(['en', 'nl']).default('en'),
    /** Extra values for the template (e.g. the manual steps). */
    with: z.record(z.string(), z.unknown()).default({}),
  })
  .strict();

export const waitStepSchema = z.object({ ...stepBase, wait: durationSchema }).strict();

const ipAddress = z.string().refine((v) => isIP(v) !== 0, 'an IP address such as 198.51.100.7');

export const verifyStepSchema = z
  .object({
    ...stepBase,
    /** What to verify: `sign-out` watches the account's sign-ins after a sign-out or block. */
    verify: z.literal('sign-out'),
    /** The account: a template such as `{{entities.users.0}}`. */
    user: z.string().min(1),
    /** The earlier step that signed the account out or blocked it: its end is the time watched from. */
    after: name,
    /** How long to watch. @default 15m (Continuous Access Evaluation can take that long) */
    window: durationSchema.default('15m'),
    /** How often to read the sign-in log. @default 1m */
    every: durationSchema.default('1m'),
    /** Sign-ins from these addresses are expected (the office), not the attacker's. */
    allow: z
      .object({ ips: z.array(ipAddress).max(100).default([]) })
      .strict()
      .prefault({}),
    /** What a successful sign-in from elsewhere makes Reflex do, without waiting for anyone. */
    onSignIn: z
      .object({
        /** Block the account. @default true */
        block: z.boolean().default(true),
        /** Sign it out again. @default true */
        revoke: z.boolean().default(true),
        /** Tell on-call (e-mail and their chat channels). @default true */
        notify: z.boolean().default(true),
      })
      .strict()
      .prefault({}),
    /** Language of the message to on-call. @default en */
    locale: z.enum(['en', 'nl']).default('en'),
  })
  .strict();

type ParallelInput = { id: string; description: string; when?: Condition; parallel: unknown[] };

export const stepSchema: z.ZodType = z.lazy(() =>
  z.union([actionStepSchema, notifyStepSchema, waitStepSchema, verifyStepSchema, parallelStepSchema]),
);

export const parallelStepSchema: z.ZodType<ParallelInput> = z.lazy(() =>
  z.object({ ...stepBase, parallel: z.array(stepSchema).min(2) }).strict(),
) as z.ZodType<ParallelInput>;

export const triggerSchema = z
  .object({
    /** A source name, or `*` for every source. @default '*' */
    source: z.string().default('*'),
    /** Alert types this playbook handles; every type when absent. */
    types: z.array(z.string().min(1)).min(1).optional(),
    /** @default informational */
    minSeverity: z.enum(SEVERITIES).default('informational'),
    /** A further condition on the alert. */
    match: conditionSchema.optional(),
  })
  .strict();

export const playbookSchema = z
  .object({
    id: name,
    version: z.number().int().min(1),
    title: z.string().min(1),
    /** Plain language, for the board. */
    description: z.string().min(1),
    triggers: z.array(triggerSchema).min(1),
    /** Runs only for alerts that no other playbook takes. @default false */
    fallback: z.boolean().default(false),
    dedup: z
      .object({
        /** Alerts with the same rendered key share one incident. */
        key: z.string().min(1).default('{{alert.source}}:{{alert.externalId}}'),
        /** How long after it opened an incident takes in repeats. @default 60m */
        window: durationSchema.default('60m'),
      })
      .strict()
      .prefault({}),
    steps: z.array(stepSchema).min(1),
  })
  .strict();

export type ActionStepDef = z.infer<typeof actionStepSchema>;
export type NotifyStepDef = z.infer<typeof notifyStepSchema>;
export type WaitStepDef = z.infer<typeof waitStepSchema>;
export type VerifyStepDef = z.infer<typeof verifyStepSchema>;
export type ApprovalPolicy = z.infer<typeof approvalSchema>;
export type Outcome = (typeof OUTCOMES)[number];
export type StepDef =
  | (ActionStepDef & { kind: 'action' })
  | (NotifyStepDef & { kind: 'notify' })
  | (WaitStepDef & { kind: 'wait' })
  | (VerifyStepDef & { kind: 'verify' })
  | { kind: 'parallel'; id: string; description: string; when?: Condition; parallel: StepDef[] };
export type PlaybookDef = Omit<z.infer<typeof playbookSchema>, 'steps'> & { steps: StepDef[] };
export type Trigger = z.infer<typeof triggerSchema>;
