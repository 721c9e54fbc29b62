// In a drill, e-mail goes only to the drill recipients, even from a plain notify.email action that
// names someone else; a real run mails whom the step names.
import { join } from 'node:path';
import { alertBody, auth, postSigned } from './helpers/reflex';
import { useReflex } from './helpers/bootstrap';
import { waitForState } from './helpers/incidents';

const reflex = useReflex({
  playbooksDir: join(__dirname, 'fixtures/playbooks-drill'),
  contacts: {
    onCall: ['oncall@museum.example'],
    dpo: 'dpo@museum.example',
    drillRecipients: ['drills@museum.example'],
  },
});

test('a drill mails the drill recipients only; a real incident mails the named person', async () => {
  const drill = await fetch(`${reflex.url}/api/drills`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...auth() },
    body: JSON.stringify({ playbook: 'drill-email' }),
  });
  const { incidentId } = (await drill.json()) as { incidentId: string };
  await waitForState(reflex.gateway, incidentId, (s) => s.status === 'contained');
  const drillMail = await reflex.mailbox!.waitFor((m) => m.headers['x-reflex-incident'] === incidentId);
  expect(drillMail.to).toEqual(['drills@museum.example']);
  expect(drillMail.subject).toMatch(/^\[DRILL\] /);

  const real = await postSigned(reflex.url, alertBody({ type: 'drill-email' }));
  const id = real.body.incidentId as string;
  const realMail = await reflex.mailbox!.waitFor((m) => m.headers['x-reflex-incident'] === id);
  expect(realMail.to).toEqual(['director@museum.example']);
});
