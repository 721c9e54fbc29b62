// Builds the Microsoft Graph client (client credentials through @azure/identity). Composition roots
// call this; activities receive the client.
import { ClientSecretCredential } from '@azure/identity';
import { AuthenticationHandler, Client, HTTPMessageHandler } from '@microsoft/microsoft-graph-client';
import { TokenCredentialAuthenticationProvider } from '@microsoft/microsoft-graph-client/authProviders/azureTokenCredentials';
import type { ReflexConfig } from '../config/schema';

export const GRAPH_DEFAULT_BASE = 'https://graph.microsoft.com';

/** Reflex's application credential in Entra ID, or undefined when Entra ID is not configured. */
export function createEntraCredential(entra: ReflexConfig['entra']): ClientSecretCredential | undefined {
  if (!entra.tenantId || !entra.clientId || !entra.clientSecret) return undefined;
  return new ClientSecretCredential(entra.tenantId, entra.clientId, entra.clientSecret, {
    authorityHost: entra.authorityHost,
    // A non-Microsoft authority (sovereign clouds, tests) has no instance metadata to discover.
    disableInstanceDiscovery: Boolean(entra.authorityHost),
  });
}

/** The Graph client, or undefined when Entra ID is not configured. */
export function createGraphClient(entra: ReflexConfig['entra']): Client | undefined {
  const credential = createEntraCredential(entra);
  if (!credential) return undefined;
  const authProvider = new TokenCredentialAuthenticationProvider(credential, {
    scopes: ['https://graph.microsoft.com/.default'],
  });
  const base = new URL(entra.graphBaseUrl ?? GRAPH_DEFAULT_BASE);
  // No RetryHandler: Temporal's retry policy is the one owner of retries (it honours Retry-After
  // through the activity's nextRetryDelay), so a throttled call never sleeps inside an activity.
  const auth = new AuthenticationHandler(authProvider);
  auth.setNext(new HTTPMessageHandler());
  return Client.initWithMiddleware({
    middleware: auth,
    baseUrl: base.origin + base.pathname.replace(/\/$/, ''),
    defaultVersion: 'v1.0',
    // The auth middleware attaches tokens only to Graph's own hosts and these.
    customHosts: new Set([base.hostname]),
  });
}
