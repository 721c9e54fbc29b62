// Regular expressions from playbooks, rules and the configuration are matched against text attackers
// write (issue 12, item 14): each is checked when it loads, and one open to catastrophic backtracking is
// refused, naming the pattern and the file and line. Reflex's own parsers' patterns pass the same check.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { patternProblem } from '../common/patterns';
import { parsePlaybook, PlaybookError } from '../playbooks/load';
import { loadRules, RuleError } from '../triggers/logs/rules';
import { ConfigError, loadConfig } from '../config/load';
import { loadPlaybooks } from '../playbooks/load';
import { SHIPPED_PLAYBOOKS_DIR, SHIPPED_RULES_DIR } from '../startup/project';
import { refusalOf } from './helpers/hostile';

const EVIL = '(a+)+$';
const dir = () => mkdtempSync(join(process.env.REFLEX_TEST_ROOT!, 'patterns-'));

test.each([EVIL, '(\\w+\\s?)*$', '^(\\d+)+$', '(.*a){20}', '(x|x)*y'])('%s is refused', (pattern) => {
  expect(patternProblem(pattern)).toMatch(/catastrophic backtracking/);
});

test.each(['^[a-z0-9]+$', '(?i)(phish|hack|wachtwoord)', '^(?<user>\\S+) login (?<result>ok|fail)$'])(
  '%s is allowed',
  (pattern) => {
    expect(patternProblem(pattern)).toBeUndefined();
  },
);

test('a pattern too large to check is refused by a step budget, the same verdict on any machine load', () => {
  // Twenty optional alternations: the checker runs out of its 20,000 steps (not of time) before it can
  // prove the pattern safe, so the verdict does not depend on how busy the machine is.
  expect(patternProblem('(a|b|c|d)?'.repeat(20))).toMatch(/^too complex to check/);
});

test('a playbook condition with a catastrophic pattern is refused at load, naming file and line', () => {
  const text = `id: p\nversion: 1\ntitle: P\ndescription: P\ntriggers:\n  - match:\n      alert.title: { matches: '${EVIL}' }\nsteps:\n  - id: s\n    description: S\n    wait: 1s\n`;
  const err = refusalOf(() => parsePlaybook('p.yaml', text));
  expect(err).toBeInstanceOf(PlaybookError);
  expect(err.message).toMatch(/^p\.yaml:7: .*"\(a\+\)\+\$": open to catastrophic backtracking/);
});

test('a rule with a catastrophic pattern is refused at load, naming file and line', () => {
  const file = join(dir(), 'rule.yaml');
  writeFileSync(
    file,
    `id: r\nversion: 1\ntitle: t\ndescription: d\nkind: match\nwhere:\n  message: { matches: '(?i)${EVIL}' }\nalert: { type: t, title: t, severity: low }\n`,
  );
  const err = refusalOf(() => loadRules([file]));
  expect(err).toBeInstanceOf(RuleError);
  expect(err.message).toContain(
    `${file}:7: where.message.matches: "(?i)${EVIL}": open to catastrophic backtracking`,
  );
});

test('a file source with a catastrophic pattern is refused when the configuration loads', () => {
  const file = join(dir(), 'reflex.yaml');
  writeFileSync(
    file,
    `logs:\n  files:\n    - name: app\n      path: /var/log/app.log\n      kind: app\n      format: regex\n      pattern: '^(?<user>(\\w+\\s?)*)$'\n`,
  );
  const err = refusalOf(() => loadConfig({ file, env: {} }));
  expect(err).toBeInstanceOf(ConfigError);
  expect(err.message).toContain(`${file}:7: logs.files[0].pattern: open to catastrophic backtracking`);
});

test('the shipped playbooks and rules pass the check', () => {
  expect(() => loadPlaybooks(SHIPPED_PLAYBOOKS_DIR)).not.toThrow();
  expect(() => loadRules([SHIPPED_RULES_DIR])).not.toThrow();
});
