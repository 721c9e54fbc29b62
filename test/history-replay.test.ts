// Versioning discipline: stored histories of every shipped playbook are replayed against the current
// workflow code. A change that would break in-flight incidents fails here (docs/CHANGING-WORKFLOWS.md).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from '@temporalio/worker';
import { HISTORIES_DIR } from './helpers/histories';

const files = readdirSync(HISTORIES_DIR)
  .filter((f) => f.endsWith('.json'))
  .sort();

test('there is a stored history for every shipped playbook', () => {
  const playbooks = readdirSync(join(__dirname, '../playbooks'))
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => f.replace(/\.yaml$/, ''));
  for (const playbook of playbooks) expect(files.some((f) => f.startsWith(`${playbook}.`))).toBe(true);
});

test.each(files)('%s replays against the current workflow code', async (file) => {
  const history = JSON.parse(readFileSync(join(HISTORIES_DIR, file), 'utf8')) as Parameters<
    typeof Worker.runReplayHistory
  >[1];
  await Worker.runReplayHistory(
    { workflowBundle: { codePath: process.env.REFLEX_TEST_BUNDLE! } },
    history,
    file,
  );
});
