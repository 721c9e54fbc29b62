// Where the project's own files are, whether Reflex runs from the sources or from dist/.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const PROJECT_DIR = resolve(
  __dirname,
  existsSync(resolve(__dirname, '../package.json')) ? '..' : '../..',
);
/** The shipped playbook library. */
export const SHIPPED_PLAYBOOKS_DIR = join(PROJECT_DIR, 'playbooks');
/** The shipped notification templates. */
export const SHIPPED_TEMPLATES_DIR = join(PROJECT_DIR, 'playbooks', 'templates');
/** The shipped detection rules for log triggers. */
export const SHIPPED_RULES_DIR = join(PROJECT_DIR, 'triggers', 'rules');
/** Where a built Temporal CLI goes. */
export const TOOLS_DIR = join(PROJECT_DIR, '.tools');
