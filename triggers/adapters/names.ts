// The format adapters a source may name (config validates against this list).
export const ADAPTER_NAMES = [
  'generic',
  'sentinel',
  'defender',
  'splunk',
  'elastic',
  'wazuh',
  'grafana',
] as const;
export type AdapterName = (typeof ADAPTER_NAMES)[number];
