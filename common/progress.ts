// Progress of a long command on a terminal: one line rewritten in place at most four times a second,
// cleared when the work is done. Nothing at all when the output is not a terminal (scripts, pipes,
// tests): their output stays exactly the command's answer.
export interface Progress {
  /** `done` of `total` so far. */
  tick(done: number): void;
  /** Clears the line. */
  end(): void;
}

export function progress(
  what: string,
  total: number,
  unit: string,
  stream: { isTTY?: boolean; write(text: string): unknown } = process.stderr,
): Progress {
  if (!stream.isTTY || total === 0) return { tick: () => undefined, end: () => undefined };
  const started = Date.now();
  let last = 0;
  let shown = false;
  const fmt = (n: number) => n.toLocaleString('en-GB');
  return {
    tick(done) {
      const now = Date.now();
      if (now - last < 250 || now - started < 250) return;
      last = now;
      shown = true;
      const percent = Math.floor((done / total) * 100);
      stream.write(`\r\x1b[2K${what}: ${fmt(done)} of ${fmt(total)} ${unit} (${percent}%)`);
    },
    end() {
      if (shown) stream.write('\r\x1b[2K');
    },
  };
}
