/** Call counts, so tests and benchmarks can see how many Azure calls an operation made. */

export interface EstateStats {
  calls: number;
  throttled: number;
  faults: number;
  byRoute: Record<string, number>;
}

export class StatsRecorder {
  private calls = 0;
  private throttledCount = 0;
  private faultCount = 0;
  private byRoute = new Map<string, number>();

  call(route: string): void {
    this.calls += 1;
    this.byRoute.set(route, (this.byRoute.get(route) ?? 0) + 1);
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
    };
  }

  reset(): void {
    this.calls = 0;
    this.throttledCount = 0;
    this.faultCount = 0;
    this.byRoute.clear();
  }
}
