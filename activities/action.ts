// An action a playbook may name, defined once beside its code: its name, a plain description, its
// input schema, the Microsoft Graph permission it needs, whether it changes anything or stops the
// attacker, what undoes it, what a drill would call, and its implementation. The catalog, the activity
// functions, the permission tables in the docs and the playbook JSON Schema are all derived from these.
import { ApplicationFailure, Context } from '@temporalio/activity';
import { z } from 'zod';
import type { Encoding } from '../workflows/model/template';

/** What every action activity receives: the rendered arguments plus where it runs. */
export interface ActionInput<Args = Record<string, unknown>> {
  incidentId: string;
  stepId: string;
  /** A drill: take the dry-run path, touch nothing. */
  drill: boolean;
  /** In a drill: who receives what the action would send to people. */
  drillRecipients?: string[];
  /**
   * Set by the interpreter, never by a playbook (a verify step's watch): keep looking until `until`,
   * again every `everySeconds`. An action that watches fails as "nothing yet" while it finds nothing
   * before then, so Temporal runs it again; one that does not answers after one look.
   */
  watch?: Watch;
  args: Args;
}

/** How long an action that watches keeps looking, and how often (see ActionInput.watch). */
export interface Watch {
  /** ISO 8601. */
  until: string;
  everySeconds: number;
}

const watchSchema = z
  .object({ until: z.iso.datetime({ offset: true }), everySeconds: z.number().int().min(1).max(86_400) })
  .strict();

/** Where an action runs, and which action it is (for messages that name it and its permission). */
export interface ActionContext extends Omit<ActionInput, 'args'> {
  action: { name: string; permission?: GraphPermission; licence?: Licence };
  /**
   * What an earlier attempt of this activity kept with {@link keep} (Temporal's heartbeat details),
   * to be checked before use; undefined on a first attempt and outside an activity.
   */
  kept?: unknown;
  /** Keeps a small, non-secret value for the attempts after this one; a no-op outside an activity. */
  keep: (value: unknown) => void;
}

/** The running activity's context, or undefined outside one (tests and the CLI call activities directly). */
function activityContext(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined;
  }
}

/** A licence the tenant needs for an action, and what doing without it means for an incident. */
export interface Licence {
  /** e.g. `Entra ID P2` */
  needs: string;
  /** In plain words, for the timeline: what did not happen, and what did anyway. */
  meaning: string;
}

/** One call an action would make. */
export interface PlannedCall {
  method: string;
  path: string;
  body?: unknown;
  headers?: Record<string, string>;
}

/** What a drill returns instead of acting: exactly what would be called, and nothing was. */
export interface DryRun {
  dryRun: true;
  wouldCall: PlannedCall[];
  /** What the action's `drillOutput` adds, for the steps after it. */
  [field: string]: unknown;
}

/** The Microsoft Graph application permission an action needs (least privilege first). */
export interface GraphPermission {
  /** Every one of these is needed. */
  needs: readonly string[];
  /** A broader permission that also works. */
  orElse?: string;
  /** The Graph calls it makes, for docs/PERMISSIONS.md. */
  calls: string;
}

export interface ActionDefinition<
  Deps = never,
  Args = never,
  Output = unknown,
  Name extends string = string,
> {
  /** The name playbooks use, e.g. `entra.disableAccount`; also the activity type in Temporal. */
  readonly name: Name;
  /** One plain-language line, used on timelines and in approval e-mails. */
  readonly description: string;
  /** Validates the step's arguments: literal ones when a playbook loads, all of them when it runs. */
  readonly input: z.ZodType<Args>;
  /** A looser schema for drills, where ids only a real run produces may be missing. */
  readonly drillInput?: z.ZodType<Args>;
  /** Graph permission; absent for actions that do not call Graph. */
  readonly permission?: GraphPermission;
  /** What it needs instead, for actions that do not call Graph (docs). */
  readonly permissionNote?: string;
  /** A licence the tenant needs: without it the step is skipped (not failed) and says what that means. */
  readonly licence?: Licence;
  /**
   * How values rendered into an argument are encoded: `url` percent-encodes each (a user name cannot
   * turn `/users/{{…}}/block` into another path), `html` escapes each. Such an argument cannot be one
   * whole template, and refuses unescaped tags (`{{{…}}}`).
   */
  readonly encode?: Readonly<Record<string, Encoding>>;
  /**
   * Argument paths (`*` for any key) that must be written out in the playbook, never a template: what
   * an alert must not choose (which secret to send, say).
   */
  readonly literal?: readonly string[];
  /** Whether it changes anything outside Reflex. */
  readonly mutates: boolean;
  /**
   * A person must approve every run: the playbook compiler refuses the step without an approval, or
   * with one that proceeds when nobody answers (removing someone's sign-in methods, say).
   */
  readonly requiresApproval?: true;
  /**
   * What a succeeded step's output says, in plain words for the board's timeline ("removed 2 inbox
   * rules: …"). It reads the output as stored, so it checks what it uses.
   */
  readonly reports?: (output: unknown, locale: 'en' | 'nl') => string | undefined;
  /** It stops the attacker: timelines measure time to containment by these. */
  readonly containment?: true;
  /** The action that undoes this one, when there is one. */
  readonly undo?: string;
  /** Default per-attempt timeout in seconds. */
  readonly timeoutSeconds: number;
  /** Default attempts. */
  readonly maxAttempts: number;
  /** What a drill would call; absent when the action runs in drills as it is (it changes nothing). */
  readonly dryRun?: (args: Args, ctx: ActionContext, deps: Deps) => PlannedCall[];
  /**
   * What a drill's answer carries besides the planned calls, so that later steps have something to
   * work on (the accounts a search would hand to a forEach).
   */
  readonly drillOutput?: (args: Args) => Record<string, unknown>;
  /** Does it, with the clients the worker built. */
  readonly run: (deps: Deps, args: Args, ctx: ActionContext) => Promise<Output>;
}

/** Defines an action over the clients `Deps` (the type argument fixes them; the rest is inferred). */
export function defineAction<Deps>() {
  return <const Name extends string, Args, Output>(definition: ActionDefinition<Deps, Args, Output, Name>) =>
    definition;
}

/**
 * An argument that carries a structure from an earlier step's output (what a removal kept, for its
 * undo). A whole-tag template yields structures as JSON text (so alert data can never become an
 * object such as `{secret: …}`); this argument, and only it, reads that text back.
 */
export function structured<T extends z.ZodType>(schema: T) {
  return z.preprocess((value) => {
    if (typeof value !== 'string') return value;
    try {
      return JSON.parse(value) as unknown;
    } catch {
      return value; // the schema says what is wrong with it
    }
  }, schema);
}

/** The permission in words, for error messages: "A (with B) (or C)". */
export function permissionText(permission: GraphPermission): string {
  const [first, ...also] = permission.needs;
  return `${first}${also.length ? ` (with ${also.join(', ')})` : ''}${permission.orElse ? ` (or ${permission.orElse})` : ''}`;
}

/**
 * A failure the caller's arguments caused: not retryable, and it says which argument (`with.<name>`,
 * or another part of the input, such as the interpreter's `watch`).
 */
export function invalidArguments(action: string, error: z.ZodError, part = 'with'): ApplicationFailure {
  const issues = error.issues.map(
    (i) => `${part}${i.path.length ? '.' : ''}${i.path.join('.')}: ${i.message}`,
  );
  return ApplicationFailure.nonRetryable(`${action}: ${issues.join('; ')}`, 'InvalidArguments');
}

/**
 * A definition of any argument and output types. Arguments are both read (`input`) and written
 * (`run`), so no narrower type holds definitions of different actions in one list.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyActionDefinition<Deps = any> = ActionDefinition<Deps, any, any, string>;

// The activity functions of a list of definitions, keyed by action name.
type ActivitiesOf<Defs extends readonly AnyActionDefinition[]> = {
  [D in Defs[number] as D['name']]: (input: ActionInput) => Promise<Awaited<ReturnType<D['run']>> | DryRun>;
};

/**
 * The activities of `definitions` over `deps`: each parses its arguments (a bad one fails without
 * retries, naming the argument), takes its dry-run path in a drill, and otherwise runs.
 */
export function activitiesOf<Deps, const Defs extends readonly AnyActionDefinition<Deps>[]>(
  definitions: Defs,
  deps: Deps,
): ActivitiesOf<Defs> {
  return Object.fromEntries(
    definitions.map((definition) => {
      // The list holds definitions of different argument types; each is used with its own schema.
      const d = definition as unknown as ActionDefinition<Deps, unknown, unknown>;
      const activity = async (input: ActionInput) => {
        const schema = input.drill && d.drillInput ? d.drillInput : d.input;
        const parsed = schema.safeParse(input.args);
        if (!parsed.success) throw invalidArguments(d.name, parsed.error);
        const watch = watchSchema.optional().safeParse(input.watch);
        if (!watch.success) throw invalidArguments(d.name, watch.error, 'watch');
        const attempt = activityContext();
        const ctx: ActionContext = {
          incidentId: input.incidentId,
          stepId: input.stepId,
          drill: input.drill,
          drillRecipients: input.drillRecipients,
          watch: watch.data,
          action: { name: d.name, permission: d.permission, licence: d.licence },
          kept: attempt?.info.heartbeatDetails,
          keep: (value) => attempt?.heartbeat(value),
        };
        if (input.drill && d.dryRun) {
          return {
            ...d.drillOutput?.(parsed.data),
            dryRun: true,
            wouldCall: d.dryRun(parsed.data, ctx, deps),
          };
        }
        return d.run(deps, parsed.data, ctx);
      };
      return [d.name, activity];
    }),
  ) as ActivitiesOf<Defs>;
}
