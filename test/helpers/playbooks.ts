// Copies of the shipped playbooks with every duration in seconds instead of minutes, so approval
// timeouts and escalations run in a test's time. Playbooks are data: tests change the data, not the code.
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isScalar, parseDocument, visit } from 'yaml';

export const SHIPPED_DIR = join(__dirname, '../../playbooks');

/** Writes the shipped playbooks (or `only` of them) to a fresh folder, minutes and hours turned into seconds. */
export function fastPlaybooks(only?: string[]): string {
  const dir = mkdtempSync(join(process.env.REFLEX_TEST_ROOT!, 'playbooks-'));
  for (const file of readdirSync(SHIPPED_DIR).filter((f) => f.endsWith('.yaml'))) {
    const doc = parseDocument(readFileSync(join(SHIPPED_DIR, file), 'utf8'));
    if (only && !only.includes(String(doc.get('id')))) continue;
    visit(doc, {
      Scalar(_key, node) {
        if (isScalar(node) && typeof node.value === 'string' && /^\d+(m|h)$/.test(node.value)) {
          node.value = node.value.replace(/(m|h)$/, 's');
        }
      },
    });
    writeFileSync(join(dir, file), doc.toString());
  }
  return dir;
}

/**
 * Writes a test playbook to `dir`: `type` alerts sign the account out (step `revoke`), then watch its
 * sign-ins (step `watch`) for `window`, every second; a finding signs it out again, nothing else.
 */
export function writeWatchPlaybook(
  dir: string,
  { id, type, window, allowIps }: { id: string; type: string; window: string; allowIps?: string[] },
): void {
  writeFileSync(
    join(dir, `${id}.yaml`),
    [
      `id: ${id}`,
      'version: 1',
      'title: Sign out and watch',
      'description: A test playbook. Signs the account out, then watches its sign-ins.',
      'triggers:',
      `  - types: [${type}]`,
      'steps:',
      '  - id: revoke',
      '    description: Sign the account out',
      '    action: entra.revokeSessions',
      "    with: { user: '{{entities.users.0}}' }",
      '  - id: watch',
      '    description: Watch the sign-ins',
      '    verify: sign-out',
      "    user: '{{entities.users.0}}'",
      '    after: revoke',
      `    window: ${window}`,
      '    every: 1s',
      ...(allowIps ? [`    allow: { ips: ${JSON.stringify(allowIps)} }`] : []),
      '    onSignIn: { block: false, notify: false }',
      '',
    ].join('\n'),
  );
}
