// The workflow sandbox has a visible border: the lint config refuses Node built-ins and I/O libraries
// under workflows/, and the real workflow code passes it.
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
