// Format adapters by name: each turns a sender's JSON body into the Alert model.
import type { Alert } from '../alert';
import { fromGeneric } from './generic';

export type AlertAdapter = (source: string, body: unknown, receivedAt: Date) => Alert;

export const ADAPTERS = {
  generic: fromGeneric,
} as const satisfies Record<string, AlertAdapter>;

export type AdapterName = keyof typeof ADAPTERS;
