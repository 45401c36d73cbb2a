/**
 * Progress of a long run: a one-line bar with count, rate and time left on a terminal; plain
 * periodic lines otherwise (logs, CI, a data loader's stderr).
 */

export type ProgressMode = "auto" | "bar" | "lines" | "none";

export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return "--";
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = s % 60;
  return h ? `${h}h${String(m).padStart(2, "0")}m` : m ? `${m}m${String(r).padStart(2, "0")}s` : `${r}s`;
}

export class Progress {
  private readonly mode: Exclude<ProgressMode, "auto">;
  private readonly start = performance.now();
  private lastDraw = -Infinity;
  private lastLineCount = 0;
  private done = 0;

  constructor(
    /** Images this invocation will process. */
    private readonly total: number,
    private readonly stream: ProgressStream,
    mode: ProgressMode = "auto",
    /** Shown before the bar, e.g. "shard 1/2". */
    private readonly label = "audit",
    /** Plain mode: a line at most every this many seconds, and at least every 5 % of the total. */
    private readonly lineEverySeconds = 15
  ) {
    this.mode = mode === "auto" ? (stream.isTTY ? "bar" : "lines") : mode;
  }

  private status(): {rate: number; eta: number} {
    const elapsed = (performance.now() - this.start) / 1000;
    const rate = elapsed > 0 ? this.done / elapsed : 0;
    return {rate, eta: rate > 0 ? (this.total - this.done) / rate : Infinity};
  }

  tick(done: number): void {
    this.done = done;
    const now = performance.now();
    if (this.mode === "bar") {
      if (now - this.lastDraw < 200 && done < this.total) return;
      this.lastDraw = now;
      const {rate, eta} = this.status();
      const text = `${this.label} ${done}/${this.total} ${rate.toFixed(2)} images/s, ${formatDuration(eta)} left`;
      const width = Math.max(10, Math.min(40, (this.stream.columns ?? 80) - text.length - 4));
      const filled = this.total ? Math.round((width * done) / this.total) : width;
      this.stream.write(`\r[${"#".repeat(filled)}${"-".repeat(width - filled)}] ${text}\x1b[K`);
    } else if (this.mode === "lines") {
      if (done === 0) return;
      const step = Math.max(1, Math.ceil(this.total / 20));
      if (done < this.total && done - this.lastLineCount < step && now - this.lastDraw < this.lineEverySeconds * 1000) return;
      if (done === this.lastLineCount && done !== 0) return;
      this.lastDraw = now;
      this.lastLineCount = done;
      const {rate, eta} = this.status();
      this.stream.write(`${this.label}: ${done}/${this.total} images, ${rate.toFixed(2)} images/s, ${formatDuration(eta)} left\n`);
    }
  }

  finish(): void {
    if (this.mode === "bar") {
      this.tick(this.done);
      this.stream.write("\n");
    } else if (this.mode === "lines" && this.lastLineCount !== this.done) {
      this.lastDraw = -Infinity;
      this.tick(this.done);
    }
  }
}
