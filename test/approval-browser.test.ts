// A person on a phone: open the link from the captured e-mail in Chromium at a phone-sized viewport,
// press Approve, and see the result. Screenshots are kept in test-artifacts/.
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { alertBody, postSigned, TOKENS } from './helpers/reflex';
import { started, useEntraFake, useReflex } from './helpers/bootstrap';
import { step, waitForState } from './helpers/incidents';
import { linkIn } from './helpers/approval-links';
import { ARTIFACTS, launchBrowser } from './helpers/browser';

const THREE = { 'three-approvers': ['q1@museum.example', 'q2@museum.example', 'q3@museum.example'] };
const fake = useEntraFake();
const reflex = useReflex({
  entra: fake,
  playbooksDir: join(__dirname, 'fixtures/playbooks-approval'),
  contacts: { onCall: ['oncall@museum.example'], dpo: 'dpo@museum.example', groups: THREE },
});
const browser: Browser = started(launchBrowser, (b) => b.close());

test('approve from a phone: the link from the e-mail, a confirmation page, Approve, the result', async () => {
  const user = fake.addUser({ userPrincipalName: 'phone@museum.example' });
  const id = (
    await postSigned(
      reflex.url,
      alertBody({
        type: 'approval-test',
        title: 'Impossible travel for phone@',
        entities: { users: ['phone@museum.example'] },
      }),
    )
  ).body.incidentId as string;
  const mail = await reflex.mailbox!.waitFor(
    (m) => m.headers['x-reflex-incident'] === id && m.headers['x-reflex-template'] === 'approval-request',
  );

  const page = await browser.newPage({
    viewport: { width: 390, height: 844 },
    isMobile: true,
    hasTouch: true,
    deviceScaleFactor: 2,
  });
  // Follow the link as it appears in the demo mailbox (a real click on a real <a>).
  // The demo mailbox sits behind the sign-in (it redirects there and back) and shows the on-call
  // person, who signs in with their own token, only their own mail.
  await page.goto(`${reflex.url}/mailbox/${mail.id}`);
  await page.waitForURL(/\/login\?next=/);
  await page.getByLabel('Access token').fill(TOKENS.responder);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`${reflex.url}/mailbox/${mail.id}`);
  await page.getByRole('link', { name: /\/approve\// }).click();
  await page.waitForURL(/\/approve\//);
  expect(page.url()).toBe(linkIn(mail));
  await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe(
    'Block the account from signing in?',
  );
  await expect(page.getByText('Impossible travel for phone@').count()).resolves.toBe(1);
  // It fits a phone: no horizontal scrolling, and the buttons are big enough to press.
  expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
  const approve = page.getByRole('button', { name: 'Approve' });
  expect((await approve.boundingBox())!.height).toBeGreaterThanOrEqual(44);
  await page.screenshot({ path: join(ARTIFACTS, 'approval-page-phone.png'), fullPage: true });
  expect(user.accountEnabled).toBe(true); // opening the page decided nothing

  await approve.click();
  await page.getByText('Approved: Reflex is carrying it out now.').waitFor();
  await page.screenshot({ path: join(ARTIFACTS, 'approval-result-phone.png'), fullPage: true });

  const state = await waitForState(
    reflex.gateway,
    id,
    (s) => step(s, 'disable-account').status === 'succeeded',
  );
  expect(step(state, 'disable-account').approval!.decisions[0]).toMatchObject({
    approver: 'oncall@museum.example',
    decision: 'approve',
  });
  expect(step(state, 'disable-account').approval!.decisions[0]!.userAgent).toMatch(/Mobile|Chrome/);
  expect(user.accountEnabled).toBe(false);
});
