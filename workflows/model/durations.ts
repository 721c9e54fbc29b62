// Playbook durations (`30s`, `5m`, `2h`) in milliseconds.
const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000 } as const;

export function toMs(duration: string): number {
  const match = duration.match(/^(\d+(?:\.\d+)?)(s|m|h)$/);
  if (!match) throw new Error(`not a duration: ${duration}`);
  return Math.round(Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS]);
}
