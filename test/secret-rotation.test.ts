// Secret rotation for an Entra app registration, end to end: addPassword through the real Graph client,
// delivery to the organisation's secret store, removal of the old secrets and certificates (on the
// application and its service principal) only after approval, safe under retries, and the secret text
// nowhere else.
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { SecretStoreFake } from './fakes/secret-store-fake';
import { alertBody, postSigned } from './helpers/reflex';
import { started, useEntraFake, useReflex } from './helpers/bootstrap';
import { decide, step, waitForState } from './helpers/incidents';
import { recordHistory } from './helpers/histories';
import { buildTimeline } from '../server/reports/timeline';

const fake = useEntraFake();
const store = started(
  () => new SecretStoreFake().start(),
  (s) => s.stop(),
);
const reflex = useReflex(() => ({
  entra: fake,
  playbooks: ['leaked-secret'],
  contacts: {
    onCall: ['oncall@museum.example'],
    dpo: 'dpo@museum.example',
    owner: 'it-owner@museum.example',
  },
  extra: {
    secretStores: [{ name: 'default', type: 'webhook', url: store.url, token: 'store-token-0123456789' }],
  },
}));

async function leak(appId: string) {
  const response = await postSigned(
    reflex.url,
    alertBody({ type: 'leaked-secret', severity: 'high', entities: { apps: [appId] } }),
  );
  expect(response.body.incidents).toEqual([expect.objectContaining({ playbook: 'leaked-secret' })]);
  return response.body.incidentId as string;
}

test('rotation: a new secret goes to the store, the owner is told, the old one goes only after approval', async () => {
  const app = fake.addApplication('CRM connector', 1);
  const original = app.passwordCredentials[0]!.keyId;
  const id = await leak(app.id);

  const waiting = await waitForState(
    reflex.gateway,
    id,
    (s) => step(s, 'remove-old-secret').status === 'awaiting-approval',
  );
  // Two secrets live side by side while systems switch over.
  expect(app.passwordCredentials.map((c) => c.keyId)).toContain(original);
  expect(app.passwordCredentials).toHaveLength(2);
  const added = app.passwordCredentials.find((c) => c.keyId !== original)!;
  expect(added.displayName).toBe(`reflex ${id} rotate-secret`);
  expect(store.received).toEqual([
    expect.objectContaining({
      name: app.id,
      value: added.secretText,
      keyId: added.keyId,
      authorization: 'Bearer store-token-0123456789',
    }),
  ]);
  expect(step(waiting, 'rotate-secret').output).toMatchObject({
    newKeyId: added.keyId,
    oldKeyIds: [original],
  });
  const owner = await reflex.mailbox!.waitFor(
    (m) => m.headers['x-reflex-incident'] === id && m.headers['x-reflex-template'] === 'owner',
  );
  expect(owner.to).toEqual(['it-owner@museum.example']);

  await decide(reflex.gateway, id, 'remove-old-secret', 'oncall@museum.example');
  await waitForState(reflex.gateway, id, (s) => s.status === 'contained');
  expect(app.passwordCredentials.map((c) => c.keyId)).toEqual([added.keyId]);
  await recordHistory(reflex.gateway, id, 'leaked-secret.rotate-approve');
});

test('a store failure between add and remove is retried and leaves exactly one new secret', async () => {
  const app = fake.addApplication('Newsletter tool', 2);
  const originals = app.passwordCredentials.map((c) => c.keyId);
  store.failNext = [503];
  const before = store.received.length;
  const id = await leak(app.id);
  await waitForState(reflex.gateway, id, (s) => step(s, 'remove-old-secret').status === 'awaiting-approval');
  const fresh = app.passwordCredentials.filter((c) => !originals.includes(c.keyId));
  expect(fresh).toHaveLength(1); // the first attempt's secret was replaced, not left behind
  expect(store.received.slice(before)).toEqual([
    expect.objectContaining({ keyId: fresh[0]!.keyId, value: fresh[0]!.secretText }),
  ]);
  // The old secrets are still there: nobody approved their removal yet.
  expect(app.passwordCredentials.map((c) => c.keyId)).toEqual(expect.arrayContaining(originals));
  await decide(reflex.gateway, id, 'remove-old-secret', 'oncall@museum.example');
  await waitForState(reflex.gateway, id, (s) => s.status === 'contained');
  expect(app.passwordCredentials.map((c) => c.keyId)).toEqual([fresh[0]!.keyId]);
});

test('a compromised application: every old secret and certificate goes, on the application and its service principal', async () => {
  const app = fake.addApplication('Ticket shop API', 1, 2);
  // The attacker's own credentials on the service principal, where app owners rarely look.
  const sp = fake.addAppServicePrincipal(app, 1, 1);
  const original = app.passwordCredentials[0]!.keyId;
  const id = await leak(app.id);
  const waiting = await waitForState(
    reflex.gateway,
    id,
    (s) => step(s, 'remove-old-secret').status === 'awaiting-approval',
  );
  expect(step(waiting, 'rotate-secret').output).toMatchObject({
    oldKeyIds: [original],
    oldCertificateKeyIds: app.keyCredentials.map((k) => k.keyId),
    servicePrincipals: [
      {
        id: sp.id,
        passwordKeyIds: sp.passwordCredentials!.map((p) => p.keyId),
        certificateKeyIds: sp.keyCredentials!.map((k) => k.keyId),
      },
    ],
  });
  // Nothing old removed before the approval (systems are switching over).
  expect(app.keyCredentials).toHaveLength(2);
  expect(sp.passwordCredentials).toHaveLength(1);
  // Meanwhile the owner puts a new certificate on the application: it stays.
  const ownersNew = fake.certificate('owner: new certificate');
  app.keyCredentials.push(ownersNew);

  await decide(reflex.gateway, id, 'remove-old-secret', 'oncall@museum.example');
  const done = await waitForState(reflex.gateway, id, (s) => s.status === 'contained');
  const fresh = step(done, 'rotate-secret').output as { newKeyId: string };
  expect(app.passwordCredentials.map((c) => c.keyId)).toEqual([fresh.newKeyId]);
  expect(app.keyCredentials.map((k) => k.keyId)).toEqual([ownersNew.keyId]);
  expect(sp.passwordCredentials).toEqual([]);
  expect(sp.keyCredentials).toEqual([]);
  // The certificate kept was written back whole (Graph needs its key), and only with the owner's.
  expect(fake.keyCredentialWrites.filter((w) => w.path === `/applications/${app.id}`)).toEqual([
    {
      path: `/applications/${app.id}`,
      keyCredentials: [expect.objectContaining({ keyId: ownersNew.keyId, key: ownersNew.key })],
    },
  ]);
  const texts = buildTimeline(id, await reflex.audit.events(id), 'en', 'Europe/Amsterdam')!.entries.map(
    (e) => e.text,
  );
  expect(texts).toContainEqual(
    expect.stringContaining(
      'Removed 1 old secret(s) and 2 certificate(s) from the application, and 2 credential(s) from its service principal(s).',
    ),
  );
  await recordHistory(reflex.gateway, id, 'leaked-secret.compromised-application');
});

test('no secret text appears in logs, the audit trail, workflow histories or e-mail', async () => {
  expect(fake.issuedSecrets.length).toBeGreaterThan(3);
  const logs = reflex.logs();
  const audit = JSON.stringify([...(await reflex.audit.verify()).broken, ...(await allAuditEvents())]);
  const histories: string[] = [];
  for (const execution of await reflex.gateway.list()) {
    histories.push(historyToJSON(await reflex.gateway.history(execution.incidentId)));
  }
  expect(histories.length).toBeGreaterThan(0);
  const mail = JSON.stringify(reflex.mailbox!.list());
  for (const secret of fake.issuedSecrets) {
    expect(logs).not.toContain(secret);
    expect(audit).not.toContain(secret);
    for (const history of histories) expect(history).not.toContain(secret);
    expect(mail).not.toContain(secret);
  }
  expect(logs).not.toContain('store-token-0123456789');
});

async function allAuditEvents() {
  const ids: string[] = [];
  for (const execution of await reflex.gateway.list()) ids.push(execution.incidentId);
  return (await Promise.all(ids.map((id) => reflex.audit.events(id)))).flat();
}
