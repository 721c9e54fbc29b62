// The workflow sandbox has a visible border: the lint config refuses Node built-ins and I/O libraries
// under workflows/, and state at module scope (the worker evaluates workflow modules once and every
// incident shares them, worker/bundle.ts); the real workflow code passes it.
import { join } from 'node:path';
import { ESLint } from 'eslint';

const eslint = new ESLint({ cwd: join(__dirname, '..') });
const workflowFile = join(__dirname, '../workflows/run-playbook.ts');

test.each([
  ["import { readFileSync } from 'node:fs';"],
  ["import { createHash } from 'crypto';"],
  ["import nodemailer from 'nodemailer';"],
  ["import pino from 'pino';"],
  ["import { Client } from '@microsoft/microsoft-graph-client';"],
  ["import { createActivities } from '../activities';"],
])('`%s` in workflows/ is a lint error', async (line) => {
  const [result] = await eslint.lintText(`${line}\nexport const x = 1;\n`, { filePath: workflowFile });
  expect(result!.messages.map((m) => m.ruleId)).toContain('no-restricted-imports');
});

test.each([
  ['let seen = 0;\nexport const x = () => seen++;'],
  ['export let last: string | undefined;'],
  ['const byIncident = new Map<string, number>();\nexport const x = byIncident;'],
  ['const queue: string[] = [];\nexport const x = queue;'],
  ['export class Tally {\n  static count = 0;\n}'],
])('module-scope state in workflows/ is a lint error: %s', async (code) => {
  const [result] = await eslint.lintText(`${code}\n`, { filePath: workflowFile });
  expect(result!.messages.map((m) => m.ruleId)).toContain('no-restricted-syntax');
});

test('constants and functions at module scope are not', async () => {
  const [result] = await eslint.lintText(
    "export const LIMIT = 50;\nexport const KINDS = ['a', 'b'] as const;\nexport function f(n: number) {\n  const seen = new Set<number>();\n  seen.add(n);\n  return seen.size;\n}\n",
    { filePath: workflowFile },
  );
  expect(result!.messages.filter((m) => m.ruleId === 'no-restricted-syntax')).toEqual([]);
});

test('type-only imports across the border are allowed', async () => {
  const [result] = await eslint.lintText(
    "import type { ReflexActivities } from '../activities';\nexport type X = ReflexActivities;\n",
    {
      filePath: workflowFile,
    },
  );
  expect(result!.messages.filter((m) => m.ruleId === 'no-restricted-imports')).toEqual([]);
});

test('the workflow code itself is clean', async () => {
  const results = await eslint.lintFiles(['workflows/']);
  expect(results.flatMap((r) => r.messages.map((m) => `${r.filePath}:${m.line} ${m.message}`))).toEqual([]);
});
