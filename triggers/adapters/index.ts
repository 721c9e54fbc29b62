// Format adapters by name: each turns a sender's JSON body into the Alert model (or nothing, when the
// sender says something that needs no incident). A malformed body throws a ZodError (400 with issues).
import type { Alert } from '../../workflows/model/alert';
import type { AdapterName } from './names';
import { fromGeneric } from './generic';
import { fromSentinel } from './sentinel';
import { fromDefender } from './defender';
import { fromSplunk } from './splunk';
import { fromElastic } from './elastic';
import { fromWazuh } from './wazuh';
import { fromGrafana } from './grafana';

export type AlertAdapter = (
  source: string,
  body: unknown,
  receivedAt: Date,
  deliveryId?: string,
) => Alert | undefined;

export const ADAPTERS: Record<AdapterName, AlertAdapter> = {
  generic: fromGeneric,
  sentinel: fromSentinel,
  defender: fromDefender,
  splunk: fromSplunk,
  elastic: fromElastic,
  wazuh: fromWazuh,
  grafana: fromGrafana,
};

export type { AdapterName } from './names';
