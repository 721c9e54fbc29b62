// What the benchmarks read of other processes from /proc (Linux): resident memory, CPU time, and a
// process's child by name (reflex start's dev server).
import { readdirSync, readFileSync } from 'node:fs';

/** The fields of /proc/<pid>/stat after the command's name: [0] is the state, [1] the parent's pid. */
function statFields(pid: number, tid?: number): { comm: string; fields: string[] } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}${tid === undefined ? '' : `/task/${tid}`}/stat`, 'utf8').trim();
    const [, comm, rest] = stat.match(/^\d+ \((.*)\) (.*)$/s)!;
    return { comm: comm!, fields: rest!.split(' ') };
  } catch {
    return undefined; // gone
  }
}

/** Resident memory in MiB, from /proc/<pid>/status. */
export function rssMiB(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('VmRSS:'))!;
  return Math.round(Number(line.replace(/\D+/g, '')) / 1024);
}

/** CPU seconds a process has used, all its threads (utime + stime, in clock ticks of 1/100 s). */
export function cpuSeconds(pid: number): number {
  const stat = statFields(pid);
  return stat ? ownSeconds(stat.fields) : 0;
}

/** utime + stime of a /proc stat line's fields, in seconds (clock ticks of 1/100 s). */
const ownSeconds = (fields: string[]) => (Number(fields[11]) + Number(fields[12])) / 100;

/**
 * CPU seconds a process has used, by thread kind: its threads grouped by name (/proc/<pid>/task), so
 * the JavaScript main thread, Node's worker threads (the workflow thread), the Temporal core's Rust
 * threads and V8's helper threads are told apart. Threads that ended meanwhile are not counted.
 */
export function cpuSecondsByThread(pid: number): Record<string, number> {
  const by: Record<string, number> = {};
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return by; // gone
  }
  for (const tid of tids) {
    const stat = statFields(pid, Number(tid));
    if (!stat) continue;
    const kind = Number(tid) === pid ? 'main' : threadKind(stat.comm);
    by[kind] = (by[kind] ?? 0) + ownSeconds(stat.fields);
  }
  return by;
}

/** A thread's name without its number (`tokio-runtime-w`, `libuv-worker`, `V8Worker` …). */
const threadKind = (comm: string) => comm.replace(/[\s_-]*\d+$/, '') || comm;

/**
 * CPU seconds a process and everything under it has used: each live process in the tree, and what its
 * children that ended took with them (cutime + cstime, once reaped). PostgreSQL's backends, and a
 * process started through `runuser`, are counted this way.
 */
export function cpuSecondsOfTree(root: number): number {
  const children = new Map<number, number[]>();
  for (const pid of livePids()) {
    const parent = Number(statFields(pid)?.fields[1]);
    children.set(parent, [...(children.get(parent) ?? []), pid]);
  }
  let seconds = 0;
  const visit = (pid: number) => {
    const stat = statFields(pid);
    if (!stat) return;
    // Its own time, and its reaped children's (cutime + cstime, the two fields after).
    seconds += ownSeconds(stat.fields) + ownSeconds(stat.fields.slice(2));
    for (const child of children.get(pid) ?? []) visit(child);
  };
  visit(root);
  return seconds;
}

function livePids(): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .map(Number);
}

/** A child of `parent` (this process by default) by its command's name (the dev server is `temporal`). */
export function childNamed(name: string, parent = process.pid): number | undefined {
  return livePids().find((pid) => {
    const stat = statFields(pid);
    return stat?.comm === name && Number(stat.fields[1]) === parent;
  });
}
