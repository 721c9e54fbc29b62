// The dedup window: a repeat within it joins the running incident; once it has passed, a repeat opens
// the next incident for the same key, which takes in the repeats of its own window.
import { join } from 'node:path';
import { alertBody, postSigned } from './helpers/reflex';
import { useReflex } from './helpers/bootstrap';
import { waitForState } from './helpers/incidents';

const reflex = useReflex({ playbooksDir: join(__dirname, 'fixtures/playbooks-window') });

test('repeats within the window join; after it, a repeat opens the next incident', async () => {
  const user = `window-${Date.now()}@museum.example`;
  const alert = () => alertBody({ type: 'window-test', entities: { users: [user] } });
  const first = await postSigned(reflex.url, alert());
  expect(first.body).toMatchObject({ deduplicated: false });
  const id = first.body.incidentId as string;
  const repeat = await postSigned(reflex.url, alert());
  expect(repeat.body).toMatchObject({ incidentId: id, deduplicated: true });
  await waitForState(reflex.gateway, id, (s) => s.status === 'contained' && s.alertCount === 2);

  await new Promise((r) => setTimeout(r, 3_500)); // the 3-second window passes; the incident still runs
  const late = await postSigned(reflex.url, alert());
  expect(late.body).toMatchObject({ incidentId: `${id}-2`, deduplicated: false });
  const lateRepeat = await postSigned(reflex.url, alert());
  expect(lateRepeat.body).toMatchObject({ incidentId: `${id}-2`, deduplicated: true });
  await waitForState(reflex.gateway, `${id}-2`, (s) => s.alertCount === 2);
  expect((await waitForState(reflex.gateway, id, () => true)).alertCount).toBe(2);
  // The window's start is in the memo, so it holds across continue-as-new and restarts.
  const memo = (await reflex.gateway.get(id))!.workflow.memo as { openedAt?: string };
  expect(Date.parse(memo.openedAt!)).toBeLessThanOrEqual(Date.now() - 3_500);
});
