// Where a rotated secret goes. A store receives the new value once; Reflex never logs it, mails it,
// returns it to a workflow or writes it to the audit trail. Adding a store: docs/SECRET-STORES.md.

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
 * (Azure Key Vault, HashiCorp Vault, 1Password Connect, ...): `POST` JSON with a bearer token.
 */
export class WebhookSecretStore implements SecretStore {
  readonly describe: string;

  constructor(
    private readonly url: string,
    private readonly token: string,
    private readonly timeoutMs = 10_000,
  ) {
    this.describe = `webhook ${new URL(url).origin}${new URL(url).pathname}`;
  }

  async put(entry: SecretEntry): Promise<void> {
    let response: Response;
    try {
      response = await fetch(this.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${this.token}`,
          'idempotency-key': entry.keyId,
        },
        body: JSON.stringify(entry),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      // Never include the request (it holds the secret): only what failed.
      throw new SecretStoreError(`secret store ${this.describe} unreachable: ${(err as Error).name}`, true);
    }
    if (response.ok) return;
    const retryable = response.status >= 500 || response.status === 429;
    throw new SecretStoreError(`secret store ${this.describe} answered ${response.status}`, retryable);
  }
}
