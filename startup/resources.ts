// What a running Reflex has opened, closed in the reverse order of opening: the HTTP server stops
// accepting first, the worker drains, Temporal and the database close last.
import type { Logger } from '../common/logger';

export class Resources {
  private readonly opened: Array<{ name: string; close: () => Promise<unknown> }> = [];
  private closing?: Promise<void>;

  constructor(private readonly log: Logger) {}

  /** Registers something to close; returns `value` for chaining. */
  add<T>(name: string, close: () => Promise<unknown>, value?: T): T {
    this.opened.push({ name, close });
    return value as T;
  }

  /** Closes everything, newest first; an error in one is logged and the rest still close. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      for (const { name, close } of this.opened.reverse()) {
        await close().catch((err: unknown) =>
          this.log.warn({ err, resource: name }, 'error during shutdown'),
        );
      }
    })();
    return this.closing;
  }
}
