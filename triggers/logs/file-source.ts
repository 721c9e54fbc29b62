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
}

export interface FileSourceOptions {
  name: string;
  path: string;
  format: 'jsonl' | 'regex';
  /** For `regex`: named groups become the record's fields. */
  pattern?: string;
  kind: string;
}

const MAX_BATCH_BYTES = 4 * 1024 * 1024;

export class FileTail {
  private checkpoint: FileCheckpoint | undefined;
  private readonly regex?: RegExp;
  /** Lines that were not records (bad JSON, no regex match): counted, skipped, never fatal. */
  skipped = 0;

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
      const chunk = buffer.subarray(0, bytesRead);
      // Only complete lines; a rotated file's last line is complete by definition.
      const end = toEnd && length === size - offset ? chunk.length : chunk.lastIndexOf(0x0a) + 1;
      const text = chunk.subarray(0, end).toString('utf8');
      return { lines: text.split('\n').filter((l) => l.trim().length > 0), bytes: end };
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
