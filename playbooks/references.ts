// Load-time checks of `{{path}}` references: every template and condition must point at a field that
// will exist when the step runs.
import { templatePaths } from '../workflows/model/template';

export interface KnownStep {
  id: string;
}

export interface References {
  /** Steps that finish before this one runs. */
  earlier: readonly KnownStep[];
  /** Steps that run later (or in parallel): referring to them is a cycle. */
  later: readonly string[];
  /** The step itself (absent for a compensation, which runs after its step and may read its output). */
  self?: string;
  /** Whether `{{item}}` exists (inside a forEach step). */
  item?: boolean;
}

interface ProblemSink {
  add(path: readonly PropertyKey[], message: string): void;
}

const ALERT_FIELDS = [
  'source',
  'externalId',
  'type',
  'title',
  'severity',
  'occurredAt',
  'receivedAt',
  'entities',
  'raw',
];
const ENTITY_KINDS = ['users', 'ips', 'hosts', 'apps', 'files'];
const CONTACT_FIELDS = ['onCall', 'dpo', 'ncsc', 'owner', 'groups', 'drillRecipients'];
const INCIDENT_FIELDS = ['id', 'drill', 'startedAt', 'url', 'alertCount'];
const ORGANISATION_FIELDS = ['name', 'publicUrl'];
const STEP_FIELDS = ['output', 'status'];
const isIndex = (s: string | undefined) => s === undefined || /^\d+$/.test(s);

/** Why `path` cannot be resolved, or undefined when it can. */
export function whyMissing(path: string, refs: References): string | undefined {
  if (path === '.') return undefined; // the current item inside a mustache section
  if (path === 'item' || path.startsWith('item.')) {
    return refs.item ? undefined : 'refers to "item", which only exists in a step with forEach';
  }
  const [root, first, second, third] = path.split('.');
  const missing = `refers to a missing field "${path}"`;
  switch (root) {
    case 'alert':
      if (!first) return undefined;
      if (!ALERT_FIELDS.includes(first)) return `${missing} (an alert has ${ALERT_FIELDS.join(', ')})`;
      if (first === 'entities' && second !== undefined && !ENTITY_KINDS.includes(second)) {
        return `${missing} (entities are ${ENTITY_KINDS.join(', ')})`;
      }
      if (first === 'entities' && !isIndex(third))
        return `${missing} (use an index, e.g. alert.entities.users.0)`;
      return undefined;
    case 'entities':
      if (first !== undefined && !ENTITY_KINDS.includes(first))
        return `${missing} (entities are ${ENTITY_KINDS.join(', ')})`;
      if (!isIndex(second)) return `${missing} (use an index, e.g. entities.users.0)`;
      return undefined;
    case 'contacts':
      return first === undefined || CONTACT_FIELDS.includes(first)
        ? undefined
        : `${missing} (contacts are ${CONTACT_FIELDS.join(', ')})`;
    case 'incident':
      return first === undefined || INCIDENT_FIELDS.includes(first)
        ? undefined
        : `${missing} (an incident has ${INCIDENT_FIELDS.join(', ')})`;
    case 'organisation':
      return first === undefined || ORGANISATION_FIELDS.includes(first) ? undefined : missing;
    case 'steps': {
      if (!first) return `${missing} (name a step: steps.<id>.output)`;
      if (first === refs.self) return `refers to its own output "${path}" (a cycle)`;
      if (refs.later.includes(first))
        return `refers to step "${first}", which does not finish before this one (a cycle)`;
      if (!refs.earlier.some((s) => s.id === first)) return `refers to step "${first}", which does not exist`;
      if (second !== undefined && !STEP_FIELDS.includes(second))
        return `${missing} (a step has output and status)`;
      return undefined;
    }
    default:
      return `${missing} (templates can use alert, entities, contacts, incident, organisation and steps)`;
  }
}

/** Reports every template in `value` that points at nothing. */
export function checkTemplates(
  value: unknown,
  path: readonly PropertyKey[],
  refs: References,
  problems: ProblemSink,
): void {
  const visit = (v: unknown, at: readonly PropertyKey[]) => {
    if (typeof v === 'string') {
      for (const ref of templatePaths(v)) {
        const why = whyMissing(ref, refs);
        if (why) problems.add(at, `template ${why}`);
      }
    } else if (Array.isArray(v)) {
      v.forEach((item, i) => visit(item, [...at, i]));
    } else if (v && typeof v === 'object') {
      for (const [k, item] of Object.entries(v)) visit(item, [...at, k]);
    }
  };
  visit(value, path);
}
