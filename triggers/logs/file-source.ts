// Tails a log file: JSON lines, or text lines parsed by a regular expression with named groups.
// Survives rotation (the old file is read to its end, found by its inode) and truncation (read again
// from the start), and reports a checkpoint (inode, offset) after each batch, which the caller stores
// durably with the rule state: a restart neither skips nor re-reads a line.
import { open, readdir, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { LogRecord } from './engine';
import { recordTime } from './engine';

export interface FileCheckpoint {
  ino: number;
  offset: number;
  /** Inside a line longer than a batch: everything up to its end is skipped. */
  skipping?: boolean;
}

export interface FileSourceOptions {
  name: string;
  path: string;
  format: 'jsonl' | 'regex';
  /** For `regex`: named groups become the record's fields. */
  pattern?: string;
  kind: string;
}

/** The most read at once, and so the longest line kept: a longer one is skipped and counted. */
export const MAX_BATCH_BYTES = 4 * 1024 * 1024;

export class FileTail {
  private checkpoint: FileCheckpoint | undefined;
  private readonly regex?: RegExp;
  /** Lines that were not records (bad JSON, no regex match): counted, skipped, never fatal. */
  skipped = 0;
  /** Lines longer than a batch, skipped since the last {@link takeSkipped}. */
  private oversized = 0;

  constructor(
    readonly options: FileSourceOptions,
    checkpoint?: FileCheckpoint,
  ) {
    this.checkpoint = checkpoint ? { ...checkpoint } : undefined;
    if (options.format === 'regex') this.regex = new RegExp(options.pattern!);
  }

  get name(): string {
    return this.options.name;
  }

  get position(): FileCheckpoint | undefined {
    return this.checkpoint ? { ...this.checkpoint } : undefined;
  }

  /** Back to a stored checkpoint (after a batch could not be delivered). */
  reset(checkpoint: unknown): void {
    this.checkpoint = checkpoint ? { ...(checkpoint as FileCheckpoint) } : undefined;
  }

  /** What was skipped since the last call, for the record (over-long lines). */
  takeSkipped(): { records: number; reason: string } | undefined {
    const records = this.oversized;
    this.oversized = 0;
    return records ? { records, reason: `a line longer than ${MAX_BATCH_BYTES} bytes` } : undefined;
  }

  /** Reads the complete lines written since the checkpoint and turns them into records. */
  async poll(): Promise<LogRecord[]> {
    let st;
    try {
      st = await stat(this.options.path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    const lines: string[] = [];
    if (this.checkpoint && this.checkpoint.ino !== st.ino) {
      // Rotated: finish the old file (wherever it went), then start the new one from the beginning.
      const old = await this.findByInode(this.checkpoint.ino);
      if (old) lines.push(...(await this.read(old, this.checkpoint.offset, true)).lines);
      this.checkpoint = { ino: st.ino, offset: 0 };
    }
    this.checkpoint ??= { ino: st.ino, offset: 0 };
    if (st.size < this.checkpoint.offset) this.checkpoint.offset = 0; // truncated
    const fresh = await this.read(this.options.path, this.checkpoint.offset, false);
    this.checkpoint.offset += fresh.bytes;
    lines.push(...fresh.lines);
    return lines.flatMap((line) => this.toRecord(line));
  }

  /**
   * Reads from `offset`: complete lines only (a rotated file's last line is complete by definition).
   * A batch without any line end is a line longer than a batch: it is skipped to its end and counted,
   * so one such line cannot stop the file from being read.
   */
  private async read(
    path: string,
    offset: number,
    toEnd: boolean,
  ): Promise<{ lines: string[]; bytes: number }> {
    const handle = await open(path, 'r');
    try {
      const size = (await handle.stat()).size;
      const length = Math.min(size - offset, MAX_BATCH_BYTES);
      if (length <= 0) return { lines: [], bytes: 0 };
      const buffer = Buffer.alloc(length);
      const { bytesRead } = await handle.read(buffer, 0, length, offset);
      let chunk = buffer.subarray(0, bytesRead);
      let skippedBytes = 0;
      if (this.checkpoint?.skipping) {
        const newline = chunk.indexOf(0x0a);
        if (newline < 0) return { lines: [], bytes: chunk.length }; // still inside the long line
        this.checkpoint.skipping = false;
        skippedBytes = newline + 1;
        chunk = chunk.subarray(skippedBytes);
      }
      const last = chunk.lastIndexOf(0x0a);
      if (last < 0 && skippedBytes === 0 && chunk.length === MAX_BATCH_BYTES) {
        // A whole batch and no line end: skip this line to its end, whenever that comes.
        this.oversized += 1;
        this.checkpoint!.skipping = true;
        return { lines: [], bytes: chunk.length };
      }
      const whole = toEnd && offset + bytesRead === size;
      const end = whole ? chunk.length : last + 1;
      const text = chunk.subarray(0, end).toString('utf8');
      return { lines: text.split('\n').filter((l) => l.trim().length > 0), bytes: skippedBytes + end };
    } finally {
      await handle.close();
    }
  }

  private async findByInode(ino: number): Promise<string | undefined> {
    const dir = dirname(this.options.path);
    for (const name of await readdir(dir)) {
      const path = join(dir, name);
      try {
        if ((await stat(path)).ino === ino) return path;
      } catch {
        // gone in between: nothing to finish
      }
    }
    return undefined;
  }

  private toRecord(line: string): LogRecord[] {
    let fields: Record<string, unknown> | undefined;
    if (this.options.format === 'jsonl') {
      try {
        const parsed: unknown = JSON.parse(line);
        if (parsed && typeof parsed === 'object' && !Array.isArray(parsed))
          fields = parsed as Record<string, unknown>;
      } catch {
        fields = undefined;
      }
    } else {
      const groups = this.regex!.exec(line)?.groups;
      if (groups) fields = { ...groups };
    }
    if (!fields) {
      this.skipped += 1;
      return [];
    }
    return [{ source: this.options.name, kind: this.options.kind, at: recordTime(fields), fields }];
  }
}
