// Everything Reflex reads before it starts anything: playbooks, rules, notification templates and the
// address book, checked together with the configuration. A problem anywhere stops Reflex here, naming
// the file and the line, with nothing half-started.
import { resolve } from 'node:path';
import { ConfigError } from '../config/load';
import { checkConfig, type Mode } from '../config/checks';
import { resolveContacts } from '../config/contacts';
import type { ReflexConfig, SourceConfig } from '../config/schema';
import type { YamlSource } from '../common/yaml-source';
import type { LoadedPlaybook } from '../playbooks/load';
import { loadConfiguredPlaybooks } from './playbooks';
import { loadRules, type LoadedRule } from '../triggers/logs/rules';
import { TemplateStore } from '../activities/notify/templates';
import type { Contacts } from '../workflows/model/incident';
import { demoSource } from './demo';
import { SHIPPED_RULES_DIR, SHIPPED_TEMPLATES_DIR } from './project';

export interface InputOptions {
  mode: Mode;
  config: ReflexConfig;
  /** The configuration file, to name lines in problems. */
  configSource?: YamlSource;
  /** Adds the `demo` webhook source. */
  demo?: boolean;
}

export interface Inputs {
  playbooks: readonly LoadedPlaybook[];
  /** Rules, when any log trigger is configured. */
  rules: readonly LoadedRule[];
  templates: TemplateStore;
  contacts: Contacts;
  sources: readonly SourceConfig[];
  /** Whether any log trigger (file, syslog, Graph logs) is configured. */
  wantsLogs: boolean;
}

/** The rule files and folders a configuration uses: the shipped ones (unless turned off) and its own. */
export function configuredRulePaths(config: ReflexConfig): string[] {
  return [...(config.logs.shippedRules ? [SHIPPED_RULES_DIR] : []), ...config.logs.rules];
}

export function loadInputs({ mode, config, configSource, demo }: InputOptions): Inputs {
  const playbooks = loadConfiguredPlaybooks(config, configSource);
  checkConfig(config, { mode, playbooks, source: configSource });
  const graph = config.logs.graph;
  const wantsLogs =
    config.logs.files.length > 0 ||
    Boolean(config.logs.syslog) ||
    Boolean(graph?.signIns || graph?.directoryAudits) ||
    Boolean(config.logs.m365Audit);
  const rules = wantsLogs ? loadRules(configuredRulePaths(config)) : [];
  const templates = new TemplateStore(config.notifications.templatesDir ?? SHIPPED_TEMPLATES_DIR);
  const templateProblems = templates.check();
  if (templateProblems.length)
    throw new ConfigError(templateProblems.map((p) => `notification template ${p}`));
  const dataDir = resolve(config.dataDir);
  return {
    playbooks,
    rules,
    templates,
    contacts: resolveContacts(config.contacts),
    sources: demo ? [...config.sources, demoSource(dataDir)] : config.sources,
    wantsLogs,
  };
}
