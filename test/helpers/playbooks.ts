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
