// Board sign-offs of playbooks, kept on the audit store's `governance` chain: hash-chained like every
// record (so `reflex audit verify` names one that was edited) and each signed with an HMAC under the
// installation's sign-off key (so one written into the database without the key does not count).
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import stringify from 'safe-stable-stringify';
import type { AuditStore } from './audit-store';
import { auditEvent } from '../workflows/model/audit-events';
import { pinSignOff, standingOf, type SignOff, type Standing, type WhenChanged } from '../playbooks/sign-off';
import type { LoadedPlaybook } from '../playbooks/load';
import type { ResolvedPlaybook } from '../workflows/model/incident';

export const GOVERNANCE_CHAIN = 'governance';

/** A sign-off as read back, with whether its signature holds. */
export interface StoredSignOff extends SignOff {
  eventId: string;
  seq: number;
  signatureValid: boolean;
}

export class SignOffStore {
  constructor(
    private readonly audit: AuditStore,
    /** The sign-off key (`playbooks.signOff.key`, or one made once in the data directory). */
    private readonly key: string,
  ) {}

  /** Appends one sign-off to the record. */
  async record(signOff: SignOff): Promise<StoredSignOff> {
    const id = createHash('sha256').update(stringify(signOff)!).digest('hex').slice(0, 20);
    const eventId = `${GOVERNANCE_CHAIN}:sign-off:${signOff.playbook}:${id}`;
    await this.audit.append([
      auditEvent('playbook.signed-off', {
        eventId,
        chainId: GOVERNANCE_CHAIN,
        at: signOff.at,
        actor: `${signOff.via}:${signOff.by}`,
        content: { ...signOff, signature: this.sign(signOff) },
      }),
    ]);
    const stored = (await this.list()).find((s) => s.eventId === eventId);
    if (!stored) throw new Error('the sign-off was not recorded');
    return stored;
  }

  /** Every sign-off on record, oldest first, each with its signature checked. */
  async list(): Promise<StoredSignOff[]> {
    const events = await this.audit.events(GOVERNANCE_CHAIN);
    return events.flatMap((e) => {
      if (e.kind !== 'playbook.signed-off') return [];
      const { signature, ...signOff } = e.content;
      return [
        { ...signOff, eventId: e.eventId, seq: e.seq, signatureValid: this.verify(signOff, signature) },
      ];
    });
  }

  /** The sign-offs whose signature fails: edited, or written without the key. */
  async forged(): Promise<StoredSignOff[]> {
    return (await this.list()).filter((s) => !s.signatureValid);
  }

  private sign(signOff: SignOff): string {
    const { playbook, version, title, digest, by, role, at, via } = signOff;
    return createHmac('sha256', this.key)
      .update(stringify({ playbook, version, title, digest, by, role, at, via })!)
      .digest('hex');
  }

  private verify(signOff: SignOff, signature: unknown): boolean {
    if (typeof signature !== 'string' || !/^[0-9a-f]{64}$/.test(signature)) return false;
    return timingSafeEqual(Buffer.from(this.sign(signOff), 'hex'), Buffer.from(signature, 'hex'));
  }
}

/** One playbook's standing, flat. */
export interface PlaybookStanding {
  playbook: LoadedPlaybook;
  id: string;
  version: number;
  title: string;
  digest: string;
  status: Standing['status'];
  signOff?: SignOff;
}

/** Signing off a playbook or version that is not loaded: nothing is recorded. */
export class SignOffError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SignOffError';
  }
}

/** Who signs off, and in what capacity. */
export interface SignOffRequest {
  playbook: string;
  version: number;
  by: string;
  role: string;
  via: SignOff['via'];
}

/**
 * The loaded playbooks against the sign-offs on record: kept in memory (refreshed by the server every
 * minute and at once after a sign-off here), so starting an incident reads no database.
 */
export class PlaybookGovernance {
  private signOffs: StoredSignOff[] = [];

  constructor(
    readonly store: SignOffStore,
    readonly playbooks: readonly LoadedPlaybook[],
    private readonly whenChanged: WhenChanged,
  ) {}

  async refresh(): Promise<void> {
    this.signOffs = await this.store.list();
  }

  /** A playbook's standing; a sign-off whose signature fails counts as none. */
  standing(playbook: LoadedPlaybook): Standing {
    return standingOf(
      playbook,
      this.signOffs.filter((s) => s.signatureValid),
    );
  }

  /** Each loaded playbook with its standing, and the sign-offs on record that fail their signature. */
  report(): { playbooks: Array<{ playbook: LoadedPlaybook; standing: Standing }>; forged: StoredSignOff[] } {
    return {
      playbooks: this.playbooks.map((playbook) => ({ playbook, standing: this.standing(playbook) })),
      forged: this.signOffs.filter((s) => !s.signatureValid),
    };
  }

  /** Each loaded playbook's standing, flat: what the pages, the reports and the API show. */
  standings(): PlaybookStanding[] {
    return this.playbooks.map((playbook) => {
      const standing = this.standing(playbook);
      return {
        playbook,
        id: playbook.definition.id,
        version: playbook.definition.version,
        title: playbook.definition.title,
        digest: playbook.digest,
        status: standing.status,
        ...(standing.status === 'unsigned' ? {} : { signOff: standing.signOff }),
      };
    });
  }

  /** What an incident of `playbook` pins: its sign-off quoted, and approvals added as configured. */
  pin(playbook: LoadedPlaybook): ResolvedPlaybook {
    return pinSignOff(playbook.resolved, this.standing(playbook), this.whenChanged);
  }

  /** Records a sign-off of a loaded playbook's current content; throws {@link SignOffError} otherwise. */
  async signOff(request: SignOffRequest, at = new Date()): Promise<StoredSignOff> {
    const playbook = this.playbooks.find((p) => p.definition.id === request.playbook);
    if (!playbook) {
      throw new SignOffError(
        `no playbook "${request.playbook}" is loaded (loaded: ${this.playbooks.map((p) => p.definition.id).join(', ')}); nothing was recorded`,
      );
    }
    if (playbook.definition.version !== request.version) {
      throw new SignOffError(
        `playbook "${request.playbook}" is at version ${playbook.definition.version}, not ${request.version}: sign off the version that runs; nothing was recorded`,
      );
    }
    const by = request.by.trim();
    const role = request.role.trim();
    if (!by || by.length > 120)
      throw new SignOffError(
        '--by: the name of the person signing off (1–120 characters); nothing was recorded',
      );
    if (!role || role.length > 80)
      throw new SignOffError('--role: their role, e.g. chair (1–80 characters); nothing was recorded');
    const stored = await this.store.record({
      playbook: playbook.definition.id,
      version: playbook.definition.version,
      title: playbook.definition.title,
      digest: playbook.digest,
      by,
      role,
      at: at.toISOString(),
      via: request.via,
    });
    await this.refresh();
    return stored;
  }
}
