// Liveness and readiness. Readiness is the AND of named checks, each bounded in time.
import type { RouteTable } from '../contract';
import { healthz, readyz } from '../contracts/operations';

export interface ReadinessCheck {
  name: string;
  check: () => Promise<void>;
}

export function mountHealth(routes: RouteTable, readiness: readonly ReadinessCheck[]): void {
  routes.add(healthz, (_input, _req, res) => {
    res.json({ status: 'ok' });
  });
  routes.add(readyz, async (_input, _req, res) => {
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
    res
      .status(ready ? 200 : 503)
      .json({ status: ready ? 'ready' : 'not ready', checks: Object.fromEntries(results) });
  });
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    promise,
    new Promise<never>((_, fail) => {
      timer = setTimeout(() => fail(new Error(`no answer in ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
