import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * The daemon's log as a pino destination that can never take the daemon down: lines are appended synchronously
 * (the daemon logs a few lines a minute), and a write that fails (disk full, I/O error) drops the line and counts
 * it, instead of an unhandled stream error or an exit handler retrying a flush for ever.
 */
export class LogFile {
  private fd: number | null = null;
  dropped = 0;
  lastError: string | null = null;

  constructor(private readonly path: string) {
    try {
      mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
      this.fd = openSync(path, 'a', 0o600);
    } catch (err) {
      this.lastError = (err as Error).message;
    }
  }

  write(line: string): boolean {
    if (this.fd === null) {
      this.dropped++;
      return true;
    }
    try {
      if (this.dropped > 0) {
        writeSync(this.fd, JSON.stringify({ level: 40, time: Date.now(), msg: `${this.dropped} log line(s) were dropped: ${this.lastError ?? 'write failed'}` }) + '\n');
        this.dropped = 0;
      }
      writeSync(this.fd, line);
    } catch (err) {
      this.dropped++;
      this.lastError = (err as Error).message;
    }
    return true;
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}
