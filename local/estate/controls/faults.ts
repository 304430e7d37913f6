/**
 * Injected trouble for tests and benchmarks: added latency, and faults (429/500/503 or a reset
 * connection) on requests matching a method and a path pattern.
 */

export type FaultStatus = 429 | 500 | 503 | "reset";

export interface FaultSpec {
  /** Matched against the request path (no query string). A string is compiled as a RegExp. */
  pathPattern: RegExp | string;
  /** Only requests with this method; any method when omitted. */
  method?: string;
  status: FaultStatus;
  /** Sent as Retry-After on 429 and 503 (default 1). */
  retryAfterSeconds?: number;
  /** How many requests the fault applies to; unlimited when omitted. */
  count?: number;
}

export interface ActiveFault {
  status: FaultStatus;
  retryAfterSeconds: number;
}

interface FaultEntry {
  pattern: RegExp;
  method: string | undefined;
  status: FaultStatus;
  retryAfterSeconds: number;
  remaining: number;
}

function compile(pattern: RegExp | string): RegExp {
  return typeof pattern === "string" ? new RegExp(pattern) : pattern;
}

export class FaultInjector {
  private faults: FaultEntry[] = [];

  /** Throws on an invalid pattern or status, so the admin API can answer 400. */
  add(spec: FaultSpec): void {
    if (![429, 500, 503, "reset"].includes(spec.status))
      throw new Error(`unsupported fault status ${String(spec.status)}`);
    if (spec.count !== undefined && (!Number.isInteger(spec.count) || spec.count < 1)) {
      throw new Error("count must be a positive integer");
    }
    this.faults.push({
      pattern: compile(spec.pathPattern),
      method: spec.method?.toUpperCase(),
      status: spec.status,
      retryAfterSeconds: spec.retryAfterSeconds ?? 1,
      remaining: spec.count ?? Infinity,
    });
  }

  clear(): void {
    this.faults = [];
  }

  /** The first fault matching the request, used up by one; undefined when none applies. */
  take(method: string, path: string): ActiveFault | undefined {
    const fault = this.faults.find(
      (f) => f.remaining > 0 && (f.method === undefined || f.method === method) && f.pattern.test(path),
    );
    if (!fault) return undefined;
    fault.remaining -= 1;
    if (fault.remaining <= 0) this.faults = this.faults.filter((f) => f !== fault);
    return { status: fault.status, retryAfterSeconds: fault.retryAfterSeconds };
  }
}

/**
 * Latency rules: a default for every Azure route, and per-pattern values that take precedence (the
 * most recently set matching pattern wins). Setting 0 for a pattern removes it.
 */
export class LatencyRules {
  private defaultMs = 0;
  private rules: { pattern: RegExp; ms: number }[] = [];

  constructor(initialMs = 0) {
    this.defaultMs = initialMs;
  }

  set(ms: number, match?: RegExp | string): void {
    if (!Number.isFinite(ms) || ms < 0)
      throw new Error("latency must be a non-negative number of milliseconds");
    if (match === undefined) {
      this.defaultMs = ms;
      return;
    }
    const pattern = compile(match);
    this.rules = this.rules.filter(
      (r) => r.pattern.source !== pattern.source || r.pattern.flags !== pattern.flags,
    );
    if (ms > 0) this.rules.push({ pattern, ms });
  }

  for(path: string): number {
    for (let i = this.rules.length - 1; i >= 0; i--) {
      const rule = this.rules[i];
      if (rule?.pattern.test(path)) return rule.ms;
    }
    return this.defaultMs;
  }
}
