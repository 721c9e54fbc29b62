// Failure types that activities raise and the interpreter reads: one name, shared by both sides.

/**
 * The tenant lacks the licence an action needs (Entra ID P2 for Identity Protection, say): the step
 * is skipped, not failed, and its reason says what that means for the incident.
 */
export const LICENCE_REQUIRED = 'LicenceRequired';
