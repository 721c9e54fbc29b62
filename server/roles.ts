// The roles of the board and the API. Each includes the ones before it.
export const ROLES = ['board', 'responder', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** board reads; responder also acts (approve, resolve, abort, drills); admin also reads the configuration. */
export const RANK: Record<Role, number> = { board: 1, responder: 2, admin: 3 };
