/** Call counts, so tests and benchmarks can see how many Azure calls an operation made. */

export interface EstateStats {
  calls: number;
  throttled: number;
  faults: number;
  byRoute: Record<string, number>;
  /** The latest writes (every method but GET), oldest first: when each arrived, what and where. */
  writes: EstateWrite[];
}

export interface EstateWrite {
  /** Epoch milliseconds at arrival, before any injected latency. */
  at: number;
  method: string;
  path: string;
}

/** Writes kept for `writes`: enough for a benchmark's run, bounded for a long-lived estate. */
const keptWrites = 10_000;

export class StatsRecorder {
  private calls = 0;
  private throttledCount = 0;
  private faultCount = 0;
  private byRoute = new Map<string, number>();
  private writes: EstateWrite[] = [];

  call(route: string, method = "GET", path = ""): void {
    this.calls += 1;
    this.byRoute.set(route, (this.byRoute.get(route) ?? 0) + 1);
    if (method !== "GET" && method !== "HEAD") {
      this.writes.push({ at: Date.now(), method, path });
      if (this.writes.length > keptWrites) this.writes.splice(0, this.writes.length - keptWrites);
    }
  }

  throttled(): void {
    this.throttledCount += 1;
  }

  fault(): void {
    this.faultCount += 1;
  }

  snapshot(): EstateStats {
    return {
      calls: this.calls,
      throttled: this.throttledCount,
      faults: this.faultCount,
      byRoute: Object.fromEntries([...this.byRoute.entries()].sort(([a], [b]) => a.localeCompare(b))),
      writes: [...this.writes],
    };
  }

  reset(): void {
    this.calls = 0;
    this.throttledCount = 0;
    this.faultCount = 0;
    this.byRoute.clear();
    this.writes = [];
  }
}
