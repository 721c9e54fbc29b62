// Detection rules for log triggers: YAML files validated by one schema, like playbooks. A rule
// matches log records, and fires an Alert through the same routing and de-duplication as webhooks.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { severitySchema } from '../alert-schema';
import { formatPath, lineOf, parseYaml, YamlError } from '../../common/yaml-source';
import { DURATION_PATTERN } from '../../workflows/model/durations';
import { patternProblem } from '../../common/patterns';

const scalar = z.union([z.string(), z.number(), z.boolean()]);

/** One test on one field of a record. `cidr` takes one network or a list. */
export const fieldTestSchema = z
  .object({
    equals: scalar.optional(),
    in: z.array(scalar).min(1).optional(),
    /** A regular expression (`(?i)` first: case-insensitive), checked against catastrophic backtracking. */
    matches: z
      .string()
      .superRefine((pattern, ctx) => {
        const problem = patternProblem(pattern);
        if (problem) ctx.addIssue({ code: 'custom', message: `${JSON.stringify(pattern)}: ${problem}` });
      })
      .optional(),
    cidr: z.union([z.string(), z.array(z.string()).min(1)]).optional(),
    exists: z.boolean().optional(),
  })
  .strict()
  .refine((t) => Object.keys(t).length > 0, 'give at least one of equals, in, matches, cidr, exists');

export type FieldTest = z.infer<typeof fieldTestSchema>;

/** Every `field: test` pair must hold; `any` holds when one of its conditions does; `not` negates. */
export interface RuleCondition {
  any?: RuleCondition[];
  not?: RuleCondition;
  [field: string]: FieldTest | RuleCondition[] | RuleCondition | undefined;
}

export const ruleConditionSchema: z.ZodType<RuleCondition> = z.lazy(() =>
  z.record(z.string(), z.unknown()).transform((value, ctx) => {
    const out: RuleCondition = {};
    for (const [key, v] of Object.entries(value)) {
      if (key === 'any') {
        const parsed = z.array(ruleConditionSchema).min(1).safeParse(v);
        if (!parsed.success)
          parsed.error.issues.forEach((i) => ctx.addIssue({ ...i, path: ['any', ...i.path] }));
        else out.any = parsed.data;
      } else if (key === 'not') {
        const parsed = ruleConditionSchema.safeParse(v);
        if (!parsed.success)
          parsed.error.issues.forEach((i) => ctx.addIssue({ ...i, path: ['not', ...i.path] }));
        else out.not = parsed.data;
      } else {
        const parsed = fieldTestSchema.safeParse(v);
        if (!parsed.success)
          parsed.error.issues.forEach((i) => ctx.addIssue({ ...i, path: [key, ...i.path] }));
        else out[key] = parsed.data;
      }
    }
    return out;
  }),
) as z.ZodType<RuleCondition>;

const duration = z.string().regex(DURATION_PATTERN, 'a duration like 90s, 20m or 1h');

/** What a firing raises: fields are Mustache templates over the record that made it fire (and `group`, `count`). */
const alertTemplateSchema = z
  .object({
    type: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,80}$/),
    title: z.string().min(1),
    severity: severitySchema,
    entities: z
      .object({
        users: z.array(z.string()).default([]),
        ips: z.array(z.string()).default([]),
        hosts: z.array(z.string()).default([]),
        apps: z.array(z.string()).default([]),
        files: z.array(z.string()).default([]),
      })
      .strict()
      .prefault({}),
  })
  .strict();

const common = {
  id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'lowercase letters, digits and dashes'),
  version: z.number().int().positive(),
  title: z.string().min(1),
  description: z.string().min(1),
  /** Only records of these kinds (a log source's `kind`), e.g. entra-signin. All when absent. */
  kinds: z.array(z.string()).optional(),
  where: ruleConditionSchema.optional(),
  alert: alertTemplateSchema,
};

export const ruleSchema = z.discriminatedUnion('kind', [
  /** Every matching record fires. */
  z.object({ ...common, kind: z.literal('match') }).strict(),
  /**
   * Count (or distinct-count `distinct`) of matching records per `groupBy` value within a sliding
   * `window` reaching `atLeast`. With `then`, it fires only when a record matching `then` follows for
   * the same group within the window (failures, then a success). Fires once per group per window.
   */
  z
    .object({
      ...common,
      kind: z.literal('threshold'),
      groupBy: z.string().min(1),
      window: duration,
      atLeast: z.number().int().min(1),
      distinct: z.string().min(1).optional(),
      then: ruleConditionSchema.optional(),
    })
    .strict(),
  /** Fires when `field` has a value never seen before for this `groupBy` value (after the first one). */
  z
    .object({
      ...common,
      kind: z.literal('new-value'),
      groupBy: z.string().min(1),
      field: z.string().min(1),
      /** How many values to remember per group. @default 50 */
      remember: z.number().int().min(1).max(1000).default(50),
      /** The first value of a group is the baseline and does not fire; false: it fires too. @default true */
      firstIsBaseline: z.boolean().default(true),
    })
    .strict(),
  /**
   * Impossible travel: two records of the same `groupBy` value (a user) from places further apart than
   * anyone can travel in the time between them (faster than `maxKmh`, over at least `minKm`).
   */
  z
    .object({
      ...common,
      kind: z.literal('travel'),
      groupBy: z.string().min(1),
      latitude: z.string().min(1),
      longitude: z.string().min(1),
      /** A field naming the place, for the alert (e.g. location.city). */
      place: z.string().optional(),
      /** @default 900 (an airliner) */
      maxKmh: z.number().positive().default(900),
      /** Distances below this are ignored (IP geolocation is coarse). @default 500 */
      minKm: z.number().min(0).default(500),
    })
    .strict(),
]);

export type Rule = z.infer<typeof ruleSchema>;

export interface LoadedRule {
  file: string;
  rule: Rule;
}

export class RuleError extends Error {
  constructor(readonly problems: YamlError[]) {
    super(`invalid rules:\n${problems.map((p) => `  ${p.message}`).join('\n')}`);
    this.name = 'RuleError';
  }
}

/** A rule file may hold one rule or a list of them. */
function parseRuleFile(file: string, text: string): LoadedRule[] {
  const source = parseYaml(file, text);
  const data: unknown = source.value;
  const list = Array.isArray(data) ? data : [data];
  const problems: YamlError[] = [];
  const rules: LoadedRule[] = [];
  list.forEach((item, index) => {
    const parsed = ruleSchema.safeParse(item);
    if (parsed.success) return void rules.push({ file, rule: parsed.data });
    for (const issue of parsed.error.issues) {
      const path = Array.isArray(data) ? [index, ...issue.path] : issue.path;
      problems.push(
        new YamlError(file, lineOf(source, path), `${formatPath(path) || '(rule)'}: ${issue.message}`),
      );
    }
  });
  if (problems.length) throw new RuleError(problems);
  return rules;
}

/** Loads rules from files and folders (`*.yaml`, `*.yml`); all problems of all files are reported together. */
export function loadRules(paths: readonly string[]): LoadedRule[] {
  const files = paths.flatMap((p) => {
    try {
      return readdirSync(p)
        .filter((f) => /\.ya?ml$/.test(f))
        .sort()
        .map((f) => join(p, f));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOTDIR') return [p];
      throw new RuleError([
        new YamlError(p, undefined, `cannot read (${(err as NodeJS.ErrnoException).code})`),
      ]);
    }
  });
  const loaded: LoadedRule[] = [];
  const problems: YamlError[] = [];
  for (const file of files) {
    try {
      loaded.push(...parseRuleFile(file, readFileSync(file, 'utf8')));
    } catch (err) {
      if (err instanceof RuleError) problems.push(...err.problems);
      else if (err instanceof YamlError) problems.push(err);
      else throw err;
    }
  }
  const ids = new Map<string, string>();
  for (const { file, rule } of loaded) {
    const other = ids.get(rule.id);
    if (other) problems.push(new YamlError(file, 1, `rule id "${rule.id}" is also used by ${other}`));
    ids.set(rule.id, file);
  }
  if (problems.length) throw new RuleError(problems);
  return loaded;
}
