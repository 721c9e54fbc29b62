// Every action a playbook may name, in one list. Each is defined beside its code (activities/*/);
// everything else about actions is read from here: the playbook compiler's checks, the incident
// list's containment times, the playbook JSON Schema and the permission tables in the docs.
import type { AnyActionDefinition } from './action';
import { ENTRA_USER_ACTIONS } from './entra/users';
import { ENTRA_APP_ACTIONS } from './entra/apps';
import { AUTH_METHOD_ACTIONS } from './entra/auth-methods';
import { SIGN_IN_ACTIONS } from './entra/sign-ins';
import { EXCHANGE_ACTIONS } from './exchange/inbox-rules';
import { SECRET_ACTIONS } from './secrets/rotate';
import { httpRequest } from './http/request';
import { notifyEmail } from './notify/email';

export const ACTIONS = [
  notifyEmail,
  ...ENTRA_USER_ACTIONS,
  ...AUTH_METHOD_ACTIONS,
  ...SIGN_IN_ACTIONS,
  ...ENTRA_APP_ACTIONS,
  ...EXCHANGE_ACTIONS,
  ...SECRET_ACTIONS,
  httpRequest,
] as const;

export type ActionName = (typeof ACTIONS)[number]['name'];

const BY_NAME: ReadonlyMap<string, AnyActionDefinition> = new Map(ACTIONS.map((a) => [a.name, a]));

export function isActionName(name: string): name is ActionName {
  return BY_NAME.has(name);
}

/** The definition of a named action. */
export function actionNamed(name: ActionName): AnyActionDefinition {
  return BY_NAME.get(name)!;
}

/** Whether a succeeded step of this action stopped the attacker (time to containment counts from it). */
export function isContainment(action: unknown): boolean {
  return typeof action === 'string' && BY_NAME.get(action)?.containment === true;
}
