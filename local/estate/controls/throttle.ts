/**
 * Resource Manager's read throttling, modelled as a token bucket per (subscription, principal): a
 * burst of 250 reads, refilled at 25 per second. An empty bucket answers 429 with Retry-After, and
 * every allowed read reports what is left in `x-ms-ratelimit-remaining-subscription-reads`.
 */

export interface ThrottleOptions {
  burst: number;
  refillPerSecond: number;
  now?: () => number;
}

export type ThrottleDecision =
  { allowed: true; remaining: number } | { allowed: false; retryAfterSeconds: number };

interface Bucket {
  tokens: number;
  updatedAt: number;
}

export class ReadThrottle {
  private readonly buckets = new Map<string, Bucket>();
  private readonly now: () => number;

  constructor(private readonly options: ThrottleOptions = { burst: 250, refillPerSecond: 25 }) {
    this.now = options.now ?? (() => performance.now());
  }

  take(key: string): ThrottleDecision {
    const now = this.now();
    const bucket = this.buckets.get(key) ?? { tokens: this.options.burst, updatedAt: now };
    const refilled = ((now - bucket.updatedAt) / 1000) * this.options.refillPerSecond;
    bucket.tokens = Math.min(this.options.burst, bucket.tokens + refilled);
    bucket.updatedAt = now;
    this.buckets.set(key, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { allowed: true, remaining: Math.floor(bucket.tokens) };
    }
    // ARM's Retry-After is whole seconds and never 0, so a caller that honours it always backs off.
    const seconds = Math.ceil((1 - bucket.tokens) / this.options.refillPerSecond);
    return { allowed: false, retryAfterSeconds: Math.max(1, seconds) };
  }

  reset(): void {
    this.buckets.clear();
  }
}
