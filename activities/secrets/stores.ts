// Where a rotated secret goes. A store receives the new value once; Reflex never logs it, mails it,
// returns it to a workflow or writes it to the audit trail. Adding a store: docs/SECRET-STORES.md.
import { OutboundRedirect, OutboundRefused, send, type OutboundOptions } from '../outbound';

/** What a store is given: the value plus enough to tell versions apart. */
export interface SecretEntry {
  /** The store's name for the secret (e.g. the application's name). */
  name: string;
  value: string;
  /** Graph's id of this credential, so the store can tell versions apart and deduplicate. */
  keyId: string;
  application: string;
  expiresAt: string;
}

export interface SecretStore {
  /** A short description for timelines, e.g. "webhook https://vault.example/reflex". */
  readonly describe: string;
  /** Stores the entry; must be idempotent per keyId. */
  put(entry: SecretEntry): Promise<void>;
}

export class SecretStoreError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
    this.name = 'SecretStoreError';
  }
}

/**
 * Delivers secrets to an HTTPS endpoint the organisation runs in front of its secret manager
 * (Azure Key Vault, HashiCorp Vault, 1Password Connect, ...): `POST` JSON with a bearer token. Through
 * activities/outbound.ts: a redirect is refused, never followed, so the secret goes nowhere else.
 */
export class WebhookSecretStore implements SecretStore {
  readonly describe: string;

  constructor(
    private readonly url: string,
    private readonly token: string,
    private readonly options: OutboundOptions = {},
  ) {
    this.describe = `webhook ${new URL(url).origin}${new URL(url).pathname}`;
  }

  async put(entry: SecretEntry): Promise<void> {
    let response;
    try {
      response = await send(
        this.url,
        {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            authorization: `Bearer ${this.token}`,
            'idempotency-key': entry.keyId,
          },
          body: JSON.stringify(entry),
        },
        { timeoutMs: 10_000, ...this.options },
      );
    } catch (err) {
      // Never include the request (it holds the secret): only what failed.
      if (err instanceof OutboundRedirect || err instanceof OutboundRefused) {
        throw new SecretStoreError(`secret store ${this.describe} ${err.message}`, false);
      }
      throw new SecretStoreError(`secret store ${this.describe} unreachable: ${(err as Error).name}`, true);
    }
    if (response.status >= 200 && response.status < 300) return;
    const retryable = response.status >= 500 || response.status === 429;
    throw new SecretStoreError(`secret store ${this.describe} answered ${response.status}`, retryable);
  }
}
