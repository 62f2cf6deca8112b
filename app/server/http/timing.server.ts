/**
 * Where a request's time goes, phase by phase: returned as `timings` by `/api/search` and
 * sent as a `Server-Timing` header, so the evaluation and the browser's network panel
 * show it. Locally workerd's clock advances during computation; on Cloudflare it moves
 * only between I/O, so there CPU-only phases read as 0 ms.
 */
export class Timings {
  private readonly started = performance.now();
  private readonly phases = new Map<string, number>();

  /** Runs `work` and adds its duration to the phase (phases may run in parallel). */
  async time<T>(phase: string, work: () => Promise<T> | T): Promise<T> {
    const start = performance.now();
    try {
      return await work();
    } finally {
      this.add(phase, performance.now() - start);
    }
  }

  add(phase: string, ms: number): void {
    this.phases.set(phase, (this.phases.get(phase) ?? 0) + ms);
  }

  /** Milliseconds per phase (to a tenth), and `total` since this object was made. */
  toJSON(): Record<string, number> {
    const round = (ms: number) => Math.round(ms * 10) / 10;
    return {
      ...Object.fromEntries([...this.phases].map(([phase, ms]) => [phase, round(ms)])),
      total: round(performance.now() - this.started),
    };
  }

  /** The `Server-Timing` header value: `scope;dur=1.2, passages;dur=3.4, …`. */
  header(): string {
    return Object.entries(this.toJSON())
      .map(([phase, ms]) => `${phase.replace(/[^\w-]/g, "_")};dur=${ms}`)
      .join(", ");
  }
}
