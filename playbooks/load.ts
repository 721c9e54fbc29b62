// Loads and validates playbooks. An invalid playbook is never loaded: each problem names the file,
// the line, the step and the field.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { z } from 'zod';
import {
  actionStepSchema,
  notifyStepSchema,
  parallelStepSchema,
  playbookSchema,
  waitStepSchema,
  verifyStepSchema,
  type PlaybookDef,
  type StepDef,
} from './schema';
import { checkTemplates, whyMissing, type KnownStep } from './references';
import { ACTIONS, actionNamed, isActionName, type ActionName } from '../activities/actions';
import { NOTIFICATION_TEMPLATES } from '../activities/notify/templates';
import { disableAccount, enableAccount, revokeSessions } from '../activities/entra/users';
import { signInsSince } from '../activities/entra/sign-ins';
import { toMs } from '../workflows/model/durations';
import { formatPath, lineOf, parseYaml, YamlError, type YamlSource } from '../common/yaml-source';
import type { Contacts, ResolvedPlaybook, Step } from '../workflows/model/incident';
import { pathsOf, testsOf } from '../workflows/model/conditions';
import { hasUnescapedTags } from '../workflows/model/template';
import { playbookDigest } from './sign-off';

/** A value that is one template and nothing else. */
const WHOLE_TEMPLATE = /^\{\{[^{}]*\}\}$/;

export interface LoadedPlaybook {
  file: string;
  definition: PlaybookDef;
  resolved: ResolvedPlaybook;
  /** The address book for this playbook's incidents, when the configuration overrides it. */
  contacts?: Contacts;
  /** What the configuration changed in it (`playbooks.overrides`), in plain words. */
  overridden?: string[];
  /** Every approver group a step names (approvers and escalations), with its line in `file`. */
  approverGroups: ApproverGroupRef[];
  /** What a board sign-off covers: the content's digest, with the configuration's step changes. */
  digest: string;
  /** The configuration's changes to its steps' approvals (`playbooks.overrides.<id>.steps`). */
  stepOverrides?: Readonly<Record<string, unknown>>;
}

export interface ApproverGroupRef {
  step: string;
  group: string;
  /** Whether the step asks the group first, or when escalating. */
  as: 'approvers' | 'escalation';
  /** Where the group is named: the playbook's file, unless the configuration overrides it. */
  file?: string;
  line?: number;
}

export class PlaybookError extends Error {
  constructor(readonly problems: readonly YamlError[]) {
    super(problems.map((p) => p.message).join('\n'));
    this.name = 'PlaybookError';
  }
}

type Path = readonly PropertyKey[];

/** Collects problems while a file is checked. */
class Problems {
  readonly list: YamlError[] = [];
  constructor(private readonly source: YamlSource) {}

  add(path: Path, message: string): void {
    this.list.push(
      new YamlError(this.source.file, lineOf(this.source, path), `${this.where(path)}: ${message}`),
    );
  }

  addZod(prefix: Path, error: z.ZodError): void {
    for (const issue of error.issues) this.addIssue(prefix, issue);
  }

  /** A union's "Invalid input" says little: report the branch that got furthest (the mapping form). */
  private addIssue(prefix: Path, issue: z.core.$ZodIssue): void {
    if (issue.code === 'invalid_union') {
      const branch = issue.errors.find((issues) => issues.some((i) => i.path.length > 0));
      if (branch) {
        for (const inner of branch) this.addIssue([...prefix, ...issue.path], inner);
        return;
      }
    }
    this.add([...prefix, ...issue.path], issue.message);
  }

  /** `step "x", steps[2].with.user`: the innermost step id, then the field. */
  private where(path: Path): string {
    let stepId: string | undefined;
    for (let i = 0; i < path.length; i++) {
      if ((path[i] === 'steps' || path[i] === 'parallel') && typeof path[i + 1] === 'number') {
        const id = this.source.doc.getIn(path.slice(0, i + 2).concat('id') as unknown[]);
        if (typeof id === 'string') stepId = id;
      }
    }
    return `${stepId ? `step "${stepId}", ` : ''}${formatPath(path) || '(root)'}`;
  }
}

const KIND_SCHEMAS = {
  action: actionStepSchema,
  notify: notifyStepSchema,
  wait: waitStepSchema,
  verify: verifyStepSchema,
} as const;

/** Parses one step by the key that names its kind, so errors are specific rather than "no union member matched". */
function parseStep(raw: unknown, path: Path, problems: Problems): StepDef | undefined {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) {
    problems.add(
      path,
      'a step must be a mapping with an id and one of action, notify, wait, verify or parallel',
    );
    return undefined;
  }
  const keys = (['action', 'notify', 'wait', 'verify', 'parallel'] as const).filter((k) => k in raw);
  if (keys.length !== 1) {
    problems.add(
      path,
      keys.length
        ? `a step has one kind, found ${keys.join(' and ')}`
        : 'a step needs one of action, notify, wait, verify or parallel',
    );
    return undefined;
  }
  const kind = keys[0]!;
  if (kind === 'parallel') {
    const shape = parallelStepSchema.safeParse(raw);
    const inner = (raw as { parallel?: unknown }).parallel;
    if (!Array.isArray(inner)) {
      problems.add([...path, 'parallel'], 'a list of at least two steps');
      return undefined;
    }
    const children = inner.map((child, i) => parseStep(child, [...path, 'parallel', i], problems));
    if (!shape.success) {
      problems.addZod(path, shape.error);
      return undefined;
    }
    if (children.some((c) => !c)) return undefined;
    return { ...shape.data, kind: 'parallel', parallel: children as StepDef[] };
  }
  const parsed = KIND_SCHEMAS[kind].safeParse(raw);
  if (!parsed.success) {
    problems.addZod(path, parsed.error);
    return undefined;
  }
  return { ...parsed.data, kind } as StepDef;
}

/** Parses and validates one playbook file's text; throws {@link PlaybookError}. */
export function parsePlaybook(file: string, text: string): LoadedPlaybook {
  let source: YamlSource;
  try {
    source = parseYaml(file, text);
  } catch (err) {
    throw new PlaybookError([err as YamlError]);
  }
  const problems = new Problems(source);
  const { steps: rawSteps, ...rest } = (source.value ?? {}) as Record<string, unknown>;
  const header = playbookSchema.omit({ steps: true }).safeParse(rest);
  if (!header.success) problems.addZod([], header.error);
  if (!Array.isArray(rawSteps) || rawSteps.length === 0) {
    problems.add(['steps'], 'a playbook needs a list of at least one step');
  }
  const steps = (Array.isArray(rawSteps) ? rawSteps : []).map((s, i) => parseStep(s, ['steps', i], problems));
  if (problems.list.length || !header.success || steps.some((s) => !s)) {
    throw new PlaybookError(problems.list);
  }
  const definition: PlaybookDef = { ...header.data, steps: steps as StepDef[] };
  checkSemantics(definition, problems);
  if (problems.list.length) throw new PlaybookError(problems.list);
  return {
    file,
    definition,
    resolved: resolvePlaybook(definition),
    approverGroups: groupRefs(definition, source),
    digest: playbookDigest({ definition }),
  };
}

/** Checks what the schema cannot: actions, arguments, references, ids and reachability. */
function checkSemantics(definition: PlaybookDef, problems: Problems): void {
  const seen = new Map<string, Path>();
  const before: KnownStep[] = [];

  const visit = (step: StepDef, path: Path, earlier: readonly KnownStep[]): KnownStep[] => {
    if (seen.has(step.id))
      problems.add(
        [...path, 'id'],
        `duplicate step id "${step.id}" (first used at ${formatPath(seen.get(step.id)!)})`,
      );
    seen.set(step.id, path);
    const laterIds = allIds(definition.steps).filter((id) => !earlier.some((k) => k.id === id));
    const refs = { earlier, later: laterIds, self: step.id };

    if (step.when) {
      for (const ref of pathsOf(step.when)) {
        const why = whyMissing(ref, refs);
        if (why) problems.add([...path, 'when'], `condition ${why}`);
      }
      checkReachable(step, definition, path, problems);
    }
    switch (step.kind) {
      case 'action': {
        if (!isActionName(step.action)) {
          problems.add(
            [...path, 'action'],
            `unknown action "${step.action}" (known: ${ACTIONS.map((a) => a.name).join(', ')})`,
          );
        } else {
          checkArguments(step.action, step.with, [...path, 'with'], problems);
          checkApproval(step, path, problems);
        }
        const itemRefs = { ...refs, item: step.forEach !== undefined };
        if (step.forEach) checkTemplates(step.forEach, [...path, 'forEach'], refs, problems);
        checkTemplates(step.with, [...path, 'with'], itemRefs, problems);
        if (step.compensate) {
          if (!isActionName(step.compensate.action)) {
            problems.add(
              [...path, 'compensate', 'action'],
              `compensate must name an action from the catalog; "${step.compensate.action}" is not one`,
            );
          } else {
            checkArguments(
              step.compensate.action,
              step.compensate.with ?? step.with,
              [...path, 'compensate', 'with'],
              problems,
            );
          }
          checkTemplates(
            step.compensate.with ?? {},
            [...path, 'compensate', 'with'],
            // A compensation runs after its step: it may read the step's own output (what it removed).
            {
              ...itemRefs,
              self: undefined,
              later: refs.later.filter((id) => id !== step.id),
              earlier: [...earlier, { id: step.id }],
            },
            problems,
          );
        }
        return [{ id: step.id }];
      }
      case 'notify':
        if (!Object.hasOwn(NOTIFICATION_TEMPLATES, step.notify)) {
          problems.add(
            [...path, 'notify'],
            `unknown notification template "${step.notify}" (known: ${Object.keys(NOTIFICATION_TEMPLATES).join(', ')})`,
          );
        }
        checkTemplates(step.to, [...path, 'to'], refs, problems);
        checkTemplates(step.with, [...path, 'with'], refs, problems);
        return [{ id: step.id }];
      case 'wait':
        return [{ id: step.id }];
      case 'verify':
        checkTemplates(step.user, [...path, 'user'], refs, problems);
        if (!earlier.some((k) => k.id === step.after)) {
          problems.add(
            [...path, 'after'],
            refs.later.includes(step.after)
              ? `"${step.after}" does not finish before this step: verify a sign-out that happened earlier`
              : `no earlier step "${step.after}" (name the step that signs the account out or blocks it)`,
          );
        }
        if (toMs(step.every) > toMs(step.window)) {
          problems.add(
            [...path, 'every'],
            `checks every ${step.every}, longer than the whole window (${step.window})`,
          );
        }
        // It runs beside the steps after it, so none of them may read its result.
        return [];
      case 'parallel': {
        // Branches of one group run side by side: none may read another's output.
        const added = step.parallel.flatMap((child, i) => visit(child, [...path, 'parallel', i], earlier));
        return [...added, { id: step.id }];
      }
    }
  };
  definition.steps.forEach((step, i) => before.push(...visit(step, ['steps', i], before)));
}

/** An action that always needs a person may not run pre-approved, nor go ahead when nobody answers. */
function checkApproval(step: Extract<StepDef, { kind: 'action' }>, path: Path, problems: Problems): void {
  if (!actionNamed(step.action as ActionName).requiresApproval) return;
  const approval = step.approval;
  if (approval === 'none') {
    problems.add(
      [...path, 'approval'],
      `${step.action} always needs a person's approval: give the step an approval (approvers, timeout, onTimeout: skip)`,
    );
    return;
  }
  const outcomes =
    typeof approval.onTimeout === 'string'
      ? [approval.onTimeout]
      : [approval.onTimeout.then, approval.onTimeout.otherwise];
  if (outcomes.includes('proceed')) {
    problems.add(
      [...path, 'approval', 'onTimeout'],
      `${step.action} always needs a person's approval: onTimeout may be skip or abort, not proceed`,
    );
  }
}

function allIds(steps: readonly StepDef[]): string[] {
  return steps.flatMap((s) => [s.id, ...(s.kind === 'parallel' ? allIds(s.parallel) : [])]);
}

function resolveCompensation(
  compensate: { action: string; with?: Record<string, unknown> },
  args: Record<string, unknown>,
) {
  const entry = actionNamed(compensate.action as ActionName);
  return {
    action: compensate.action,
    with: compensate.with ?? args,
    ...(entry.encode ? { encode: { ...entry.encode } } : {}),
  };
}

/** The values of `args` at a path such as `headers.*.secret`, with their paths. */
function valuesAt(args: unknown, pattern: string): Array<[Path, unknown]> {
  let found: Array<[Path, unknown]> = [[[], args]];
  for (const part of pattern.split('.')) {
    found = found.flatMap(([at, node]) => {
      if (!node || typeof node !== 'object') return [];
      const record = node as Record<string, unknown>;
      const keys = part === '*' ? Object.keys(record) : Object.hasOwn(record, part) ? [part] : [];
      return keys.map((k): [Path, unknown] => [[...at, k], record[k]]);
    });
  }
  return found;
}

/**
 * Literal argument values are checked against the action's schema now; templated ones at run time.
 * What an alert must not choose is refused as a template, and an encoded argument refuses unescaped
 * tags and whole-value templates.
 */
function checkArguments(action: string, args: Record<string, unknown>, path: Path, problems: Problems): void {
  const entry = actionNamed(action as ActionName);
  for (const pattern of entry.literal ?? []) {
    for (const [at, value] of valuesAt(args, pattern)) {
      if (typeof value === 'string' && value.includes('{{')) {
        problems.add([...path, ...at], 'must be written out, not a template (an alert must not choose it)');
      }
    }
  }
  for (const [name, encoding] of Object.entries(entry.encode ?? {})) {
    const value = args[name];
    if (typeof value !== 'string' || !value.includes('{{')) continue;
    if (hasUnescapedTags(value)) {
      problems.add(
        [...path, name],
        `a ${encoding === 'url' ? 'URL' : 'HTML'} argument takes {{value}}, which it encodes; not {{{value}}} or {{&value}}`,
      );
    } else if (WHOLE_TEMPLATE.test(value.trim())) {
      problems.add(
        [...path, name],
        `must not be one whole template: write the ${encoding === 'url' ? 'URL' : 'HTML'} out, with {{values}} in it`,
      );
    }
  }
  const result = entry.input.safeParse(args);
  if (result.success) return;
  for (const issue of result.error.issues) {
    const value = issue.path.reduce<unknown>(
      (node, key) => (node as Record<PropertyKey, unknown> | undefined)?.[key],
      args,
    );
    if (typeof value === 'string' && value.includes('{{')) continue;
    problems.add([...path, ...issue.path], issue.message);
  }
}

/**
 * A step is unreachable when its condition on the alert's type, source or severity can never hold
 * for an alert this playbook's triggers admit.
 */
function checkReachable(step: StepDef, definition: PlaybookDef, path: Path, problems: Problems): void {
  for (const [field, test] of testsOf(step.when!)) {
    const wanted = test.equals !== undefined ? [test.equals] : test.in;
    if (!wanted) continue;
    if (field === 'alert.type') {
      const admitted = definition.triggers.flatMap((t) => t.types ?? ['*']);
      if (!admitted.includes('*') && !wanted.some((w) => admitted.includes(String(w)))) {
        problems.add(
          [...path, 'when'],
          `unreachable step: the triggers admit alert types ${admitted.join(', ')}, never ${wanted.join(', ')}`,
        );
      }
    }
    if (field === 'alert.source') {
      const admitted = definition.triggers.map((t) => t.source);
      if (!admitted.includes('*') && !wanted.some((w) => admitted.includes(String(w)))) {
        problems.add(
          [...path, 'when'],
          `unreachable step: the triggers admit sources ${admitted.join(', ')}, never ${wanted.join(', ')}`,
        );
      }
    }
  }
}

function resolveStep(step: StepDef): Step {
  switch (step.kind) {
    case 'action': {
      const entry = actionNamed(step.action as ActionName);
      return {
        kind: 'action',
        id: step.id,
        description: step.description,
        when: step.when,
        action: step.action,
        actionDescription: entry.description,
        mutates: entry.mutates,
        with: step.with,
        ...(entry.encode ? { encode: { ...entry.encode } } : {}),
        forEach: step.forEach,
        timeoutSeconds: step.timeoutSeconds ?? entry.timeoutSeconds,
        maxAttempts: step.maxAttempts ?? entry.maxAttempts,
        approval: step.approval,
        compensate: step.compensate ? resolveCompensation(step.compensate, step.with) : undefined,
        onFailure: step.onFailure,
      };
    }
    case 'notify':
      return {
        kind: 'notify',
        id: step.id,
        description: step.description,
        when: step.when,
        notify: step.notify,
        to: step.to,
        locale: step.locale,
        with: step.with,
      };
    case 'wait':
      return { kind: 'wait', id: step.id, description: step.description, when: step.when, wait: step.wait };
    case 'verify':
      return {
        kind: 'verify',
        id: step.id,
        description: step.description,
        when: step.when,
        verify: step.verify,
        user: step.user,
        after: step.after,
        window: step.window,
        every: step.every,
        allow: { ips: step.allow.ips },
        onSignIn: step.onSignIn,
        locale: step.locale,
        actions: {
          check: signInsSince.name,
          block: disableAccount.name,
          unblock: enableAccount.name,
          revoke: revokeSessions.name,
        },
      };
    case 'parallel':
      return {
        kind: 'parallel',
        id: step.id,
        description: step.description,
        when: step.when,
        parallel: step.parallel.map(resolveStep),
      };
  }
}

/** The pinned form an incident carries: catalog defaults filled in, nothing left to look up. */
export function resolvePlaybook(definition: PlaybookDef): ResolvedPlaybook {
  return {
    id: definition.id,
    version: definition.version,
    title: definition.title,
    description: definition.description,
    dedupWindow: definition.dedup.window,
    steps: definition.steps.map(resolveStep),
  };
}

/** The playbook files in `dir` (`*.yaml`, `*.yml`), sorted. */
export function playbookFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
    .map((f) => join(dir, f));
}

/** Loads the given files (or every playbook in `dir`); all problems of all files are reported together. */
export function loadPlaybooks(dirOrFiles: string | readonly string[]): LoadedPlaybook[] {
  const files = typeof dirOrFiles === 'string' ? playbookFiles(dirOrFiles) : dirOrFiles;
  const loaded: LoadedPlaybook[] = [];
  const problems: YamlError[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      problems.push(
        new YamlError(file, undefined, `cannot read the file (${(err as NodeJS.ErrnoException).code})`),
      );
      continue;
    }
    try {
      loaded.push(parsePlaybook(file, text));
    } catch (err) {
      if (err instanceof PlaybookError) problems.push(...err.problems);
      else throw err;
    }
  }
  const ids = new Map<string, string>();
  for (const p of loaded) {
    const other = ids.get(p.definition.id);
    if (other)
      problems.push(new YamlError(p.file, 1, `playbook id "${p.definition.id}" is also used by ${other}`));
    ids.set(p.definition.id, p.file);
  }
  if (problems.length) throw new PlaybookError(problems);
  return loaded;
}

/** Approver groups each step names, with their lines: for checking them against the configured contacts. */
function groupRefs(definition: PlaybookDef, source: YamlSource): ApproverGroupRef[] {
  const refs: ApproverGroupRef[] = [];
  const walk = (steps: readonly StepDef[], at: Path) =>
    steps.forEach((s, i) => {
      const path = [...at, i];
      if (s.kind === 'parallel') return walk(s.parallel, [...path, 'parallel']);
      if (s.kind !== 'action' || s.approval === 'none') return;
      const add = (group: string, as: ApproverGroupRef['as'], where: Path) =>
        refs.push({ step: s.id, group, as, line: lineOf(source, where) });
      s.approval.approvers.forEach((g, k) => add(g, 'approvers', [...path, 'approval', 'approvers', k]));
      s.approval.escalation.forEach((e, j) =>
        e.approvers.forEach((g, k) =>
          add(g, 'escalation', [...path, 'approval', 'escalation', j, 'approvers', k]),
        ),
      );
    });
  walk(definition.steps, ['steps']);
  return refs;
}
