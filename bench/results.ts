// Shared by the benchmarks: bench-results.json (each benchmark owns one top-level entry and keeps the
// others), the machine an entry was measured on, and how a benchmark's process ends.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';

const FILE = join(process.cwd(), 'bench-results.json');

/** Every entry bench-results.json holds now (none when it does not exist). */
export function readResults(): Record<string, unknown> {
  return existsSync(FILE) ? (JSON.parse(readFileSync(FILE, 'utf8')) as Record<string, unknown>) : {};
}

/** Writes one entry, keeping the others. */
export function saveResult(key: string, entry: unknown): void {
  writeFileSync(FILE, `${JSON.stringify({ ...readResults(), [key]: entry }, null, 2)}\n`);
}

/** The machine an entry was measured on. */
export function machine() {
  return { cpus: cpus().length, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version };
}

/** Runs a benchmark's main and ends the process: 0, or 1 with the error's stack. */
export function runBench(main: () => Promise<void>): void {
  main().then(
    () => process.exit(0),
    (err: unknown) => {
      process.stderr.write(`${(err as Error).stack}\n`);
      process.exit(1);
    },
  );
}
