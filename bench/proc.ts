// What the benchmarks read of other processes from /proc (Linux): resident memory, CPU time, and the
// process tree, so a figure covers every process a party runs (reflex start and its dev server).
import { readdirSync, readFileSync } from 'node:fs';

/** The fields of /proc/<pid>/stat after the command's name: [0] is the state, [1] the parent's pid. */
function statFields(pid: number): { comm: string; fields: string[] } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8').trim();
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
  return stat ? (Number(stat.fields[11]) + Number(stat.fields[12])) / 100 : 0;
}

function livePids(): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .map(Number);
}

/** The process and every process below it. */
export function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const pid of livePids()) {
    const parent = Number(statFields(pid)?.fields[1]);
    if (parent) children.set(parent, [...(children.get(parent) ?? []), pid]);
  }
  const tree: number[] = [];
  const visit = (pid: number) => {
    tree.push(pid);
    for (const child of children.get(pid) ?? []) visit(child);
  };
  visit(root);
  return tree;
}

/** CPU seconds used so far by the processes and everything below them. */
export function treeCpuSeconds(roots: readonly number[]): number {
  return roots.flatMap(processTree).reduce((sum, pid) => sum + cpuSeconds(pid), 0);
}

/** A child of this process by its command's name (the dev server is `temporal`). */
export function childNamed(name: string): number | undefined {
  return livePids().find((pid) => {
    const stat = statFields(pid);
    return stat?.comm === name && Number(stat.fields[1]) === process.pid;
  });
}
