// Liveness and readiness. Readiness is the AND of named checks, each bounded in time.
import type { RouteTable } from '../contract';
import { healthz, readyz } from '../contracts/operations';
import type { AccessControl } from '../access';
import { withTimeout } from '../../common/timeout';

export interface ReadinessCheck {
  name: string;
  check: () => Promise<void>;
}

/**
 * `/healthz`, and `/readyz`: the AND of the checks. Anyone gets the status and which check fails; what
 * the failure said (an address, an error) only a board token or sign-in sees.
 */
export function mountHealth(
  routes: RouteTable,
  readiness: readonly ReadinessCheck[],
  access?: Pick<AccessControl, 'authenticate'>,
): void {
  routes.add(healthz, (_input, _req, res) => {
    res.json({ status: 'ok' });
  });
  routes.add(readyz, async (_input, req, res) => {
    const results = await Promise.all(
      readiness.map(async ({ name, check }) => {
        try {
          await withTimeout(check(), 3_000);
          return [name, 'ok'] as const;
        } catch (err) {
          return [name, `failing: ${(err as Error).message}`] as const;
        }
      }),
    );
    const ready = results.every(([, r]) => r === 'ok');
    const detailed = access ? await access.authenticate(req).catch(() => undefined) : undefined;
    const checks = Object.fromEntries(
      results.map(([name, r]) => [name, detailed ? r : r === 'ok' ? 'ok' : 'failing']),
    );
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not ready', checks });
  });
}
