// YAML that a hostile or careless author writes (issue 12): an alias to an anchor that does not exist, or
// aliases nested to expand into billions of nodes ("billion laughs"). Every file Reflex reads — the
// configuration, playbooks, rules — goes through one parser, which refuses both with the file and line.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parsePlaybook, PlaybookError } from '../playbooks/load';
import { loadRules, RuleError } from '../triggers/logs/rules';
import { ConfigError, loadConfig } from '../config/load';
import { refusalOf } from './helpers/hostile';

const LAUGHS = [
  'a: &a [x, x, x, x, x, x, x, x, x, x]',
  'b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]',
  'c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]',
  'd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]',
  'e: [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]',
  '',
].join('\n');
const DANGLING = 'id: p\nversion: 1\nsteps:\n  - *nowhere\n';
const file = (name: string, text: string) => {
  const path = join(mkdtempSync(join(process.env.REFLEX_TEST_ROOT!, 'yaml-')), name);
  writeFileSync(path, text);
  return path;
};

test('a playbook with a dangling alias is refused with its line, not a ReferenceError', () => {
  const err = refusalOf(() => parsePlaybook('p.yaml', DANGLING));
  expect(err).toBeInstanceOf(PlaybookError);
  expect(err.message).toMatch(/p\.yaml:4: an alias \(\*name\) refers to an anchor \(&name\) that is not set/);
});

test('a playbook whose aliases expand without bound is refused', () => {
  const err = refusalOf(() => parsePlaybook('laughs.yaml', LAUGHS));
  expect(err).toBeInstanceOf(PlaybookError);
  expect(err.message).toMatch(/laughs\.yaml: the document cannot be read: Excessive alias count/);
});

test('a rule file and the configuration refuse them the same way', () => {
  const rule = file('rule.yaml', DANGLING);
  const ruleErr = refusalOf(() => loadRules([rule]));
  expect(ruleErr).toBeInstanceOf(RuleError);
  expect(ruleErr.message).toContain(`${rule}:4: an alias`);

  const config = file('reflex.yaml', LAUGHS);
  const configErr = refusalOf(() => loadConfig({ file: config, env: {} }));
  expect(configErr).toBeInstanceOf(ConfigError);
  expect(configErr.message).toContain(`${config}: the document cannot be read`);
});

test('ordinary anchors and aliases still work', () => {
  const text = [
    'id: p',
    'version: 1',
    'title: P',
    'description: &same P',
    "triggers: [{ source: '*' }]",
    'steps:',
    '  - { id: a, description: *same, wait: &pause 1s }',
    '  - { id: b, description: *same, wait: *pause }',
    '',
  ].join('\n');
  expect(() => parsePlaybook('p.yaml', text)).not.toThrow();
});
