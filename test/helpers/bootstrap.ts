// The shared bootstrap of the test files: what a file starts before its tests (a Reflex, the Entra ID
// fake, a browser) and stops after them, declared in one line at the top of the file.
import { EntraFake } from '../fakes/entra-fake';
import { fastPlaybooks } from './playbooks';
import { startTestReflex, type TestReflex } from './reflex';

/**
 * What a test file starts before its tests and stops after them, usable at the top of the file as
 * if it were already there: `const reflex = started(() => startTestReflex(), (r) => r.stop())`.
 * Jest runs `beforeAll` hooks in order, so a later one may use an earlier one's value.
 */
export function started<T extends object>(start: () => Promise<T>, stop: (value: T) => Promise<unknown>): T {
  let value: T | undefined;
  beforeAll(async () => {
    value = await start();
  });
  afterAll(async () => {
    if (value) await stop(value);
  });
  return new Proxy({} as T, {
    get(_target, key) {
      if (!value) {
        // Not a thenable, and invisible to inspection; anything else is a test using it too early.
        if (key === 'then' || typeof key === 'symbol') return undefined;
        throw new Error(`used before it started (${String(key)})`);
      }
      const field = (value as Record<PropertyKey, unknown>)[key];
      return typeof field === 'function' ? (field as (...a: unknown[]) => unknown).bind(value) : field;
    },
    // A setting changed by a test (`fake.logPageSize = 4`) reaches the started value itself.
    set(_target, key, field) {
      if (!value) throw new Error(`used before it started (${String(key)})`);
      (value as Record<PropertyKey, unknown>)[key] = field;
      return true;
    },
  });
}

export type TestReflexOptions = Parameters<typeof startTestReflex>[0] & {
  /** Shipped playbooks, their durations in seconds (test/helpers/playbooks.ts), when no folder is given. */
  playbooks?: string[];
  /** A local Entra ID fake to point Graph at (started by an earlier `useEntraFake`). */
  entra?: { url: string };
};

/** One Reflex for the file's tests, on the run's Temporal, stopped after them. */
export function useReflex(options: TestReflexOptions | (() => TestReflexOptions) = {}): TestReflex {
  return started(
    () => {
      const { playbooks, entra, ...rest } = typeof options === 'function' ? options() : options;
      return startTestReflex({
        ...rest,
        playbooksDir: rest.playbooksDir ?? (playbooks ? fastPlaybooks(playbooks) : undefined),
        entraUrl: rest.entraUrl ?? entra?.url,
      });
    },
    (r) => r.stop(),
  );
}

/** The local HTTPS fake of Entra ID and Graph, for the file's tests. */
export function useEntraFake(): EntraFake {
  return started(
    () => new EntraFake().start(),
    (fake) => fake.stop(),
  );
}
