// Every route's contract, for the OpenAPI document and the test that compares it with the app.
import type { RouteContract } from '../contract';
import { ACCESS_ROUTES } from './access';
import { APPROVAL_ROUTES } from './approvals';
import { BOARD_ROUTES } from './board';
import { BREACH_ROUTES } from './breaches';
import { INCIDENT_ROUTES } from './incidents';
import { INTAKE_ROUTES } from './intake';
import { MAILBOX_ROUTES } from './mailbox';
import { HEALTH_ROUTES, OPERATIONS_ROUTES } from './operations';

/** Every route of the full app (the demo mailbox's only when it runs). */
export const CONTRACTS: readonly RouteContract[] = [
  ...HEALTH_ROUTES,
  ...OPERATIONS_ROUTES,
  ...INTAKE_ROUTES,
  ...ACCESS_ROUTES,
  ...BOARD_ROUTES,
  ...BREACH_ROUTES,
  ...INCIDENT_ROUTES,
  ...APPROVAL_ROUTES,
  ...MAILBOX_ROUTES,
] as readonly RouteContract[];
