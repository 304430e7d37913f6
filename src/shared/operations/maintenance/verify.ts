import { z } from "zod";
import type { OpsPolicy } from "../../config/policy.ts";
import { describeError } from "../../errors.ts";
import type { Ports } from "../../ports/catalogue.ts";
import type { ProbeResult } from "../../ports/health-probe.ts";
import type { RunContext } from "../../procedures/declaration.ts";
import { siteMetrics } from "../health-check/signals.ts";
import { type SiteTarget, slotUrl, versionUrl } from "./common.ts";

export type CheckStatus = "ok" | "failed" | "unknown";

export interface VerificationCheck {
  name: string;
  status: CheckStatus;
  detail: string;
}

/** What verification concluded: passed, failed, or unknown (missing evidence is never "ok"). */
export interface Verification {
  slot: string;
  status: "passed" | "failed" | "unknown";
  checks: VerificationCheck[];
  summary: string;
  at: string;
}

const versionBody = z.looseObject({ version: z.string().min(1).max(200) });

/**
 * Verifies a slot of a site: its health URL and its version endpoint (probed `probes` times over
 * `seconds`: every answer counted, the last one deciding the version), and the site's 5xx rate and
 * response time from Azure Monitor against the health check's critical thresholds. A check without
 * evidence (no health URL, no metrics) is unknown, and so is the verification unless another failed.
 */
export async function verifySlot(
  ports: Pick<Ports, "probe" | "metrics">,
  context: RunContext,
  site: SiteTarget,
  request: {
    slot: string;
    expectedVersion: string | null;
    seconds: number;
    probes: number;
    metrics: boolean;
  },
): Promise<Verification> {
  const policy = context.policy;
  const settings = policy.maintenance;
  const checks: VerificationCheck[] = [];
  const healthUrl = site.component?.policy.healthUrl;
  const metricsRead = request.metrics ? readSiteMetrics(ports, context, site, request.seconds) : undefined;
  if (!healthUrl) {
    checks.push({
      name: "health URL",
      status: "unknown",
      detail: "the policy names no health URL for the site",
    });
    checks.push({
      name: "version",
      status: "unknown",
      detail: "no health URL to find the version endpoint from",
    });
  } else {
    const health = slotUrl(healthUrl, site.siteName, request.slot);
    const version = versionUrl(health, settings.versionPath);
    const results: { health: ProbeResult; version: ProbeResult }[] = [];
    const spacing = request.probes > 1 ? (request.seconds * 1000) / (request.probes - 1) : 0;
    for (let i = 0; i < request.probes; i++) {
      if (i > 0) await sleep(spacing, context.abortSignal);
      const timeoutInMs = policy.healthCheck.probeTimeoutMs;
      const [h, v] = await Promise.all([
        ports.probe.probe(health, { timeoutInMs, abortSignal: context.abortSignal }),
        ports.probe.probe(version, { timeoutInMs, abortSignal: context.abortSignal, readBody: true }),
      ]);
      results.push({ health: h, version: v });
    }
    checks.push(
      healthCheckOf(
        results.map((r) => r.health),
        policy,
        site,
      ),
    );
    checks.push(versionCheckOf(results.at(-1)?.version, request.expectedVersion));
  }
  if (metricsRead) checks.push(...(await metricsRead));
  const status = checks.some((c) => c.status === "failed")
    ? "failed"
    : checks.some((c) => c.status === "unknown")
      ? "unknown"
      : "passed";
  const notOk = checks.filter((c) => c.status !== "ok");
  return {
    slot: request.slot,
    status,
    checks,
    summary:
      status === "passed"
        ? `${site.siteName}/${request.slot}: every check passed`
        : `${site.siteName}/${request.slot}: ${notOk.map((c) => `${c.name} ${c.status} (${c.detail})`).join("; ")}`,
    at: context.clock.now().toISOString(),
  };
}

function healthCheckOf(results: ProbeResult[], policy: OpsPolicy, site: SiteTarget): VerificationCheck {
  const kind = site.component?.policy.kind ?? "webapp";
  const slowMs = policy.thresholds[kind].probeTimeMs.critical;
  const bad = results.filter((r) => r.statusCode === undefined || r.statusCode >= 500);
  const last = results.at(-1);
  const answered = results.filter((r) => r.statusCode !== undefined);
  if (answered.length === 0) {
    return { name: "health URL", status: "failed", detail: `no answer (${last?.error ?? "no probe"})` };
  }
  const errorRate = (bad.length / results.length) * 100;
  const threshold = policy.thresholds.webapp.errorRatePercent.critical;
  const slow = answered.filter((r) => r.durationInMs > slowMs).length;
  const lastBad = last?.statusCode === undefined || (last.statusCode ?? 0) >= 400;
  if (lastBad || errorRate > threshold) {
    return {
      name: "health URL",
      status: "failed",
      detail: `${bad.length} of ${results.length} probes failed (${errorRate.toFixed(0)}%), last answered ${last?.statusCode ?? last?.error ?? "nothing"}`,
    };
  }
  if (slow > results.length / 2) {
    return {
      name: "health URL",
      status: "failed",
      detail: `${slow} of ${results.length} probes slower than ${slowMs} ms`,
    };
  }
  return {
    name: "health URL",
    status: "ok",
    detail: `${results.length} probes, last answered ${last?.statusCode}`,
  };
}

function versionCheckOf(result: ProbeResult | undefined, expected: string | null): VerificationCheck {
  if (!result || result.statusCode === undefined) {
    return {
      name: "version",
      status: "unknown",
      detail: `the version endpoint did not answer (${result?.error ?? "no probe"})`,
    };
  }
  if (result.statusCode >= 400) {
    return {
      name: "version",
      status: "failed",
      detail: `the version endpoint answered ${result.statusCode}`,
    };
  }
  let live: string | undefined;
  try {
    const parsed = versionBody.safeParse(JSON.parse(result.body ?? ""));
    live = parsed.success ? parsed.data.version : undefined;
  } catch {
    live = undefined;
  }
  if (live === undefined)
    return { name: "version", status: "unknown", detail: "the version endpoint answered no version" };
  if (expected === null) return { name: "version", status: "ok", detail: `runs ${live}` };
  return live === expected
    ? { name: "version", status: "ok", detail: `runs ${live}, as expected` }
    : { name: "version", status: "failed", detail: `runs ${live}, not ${expected}` };
}

async function readSiteMetrics(
  ports: Pick<Ports, "metrics">,
  context: RunContext,
  site: SiteTarget,
  seconds: number,
): Promise<VerificationCheck[]> {
  const policy = context.policy;
  const end = context.clock.now();
  const start = new Date(end.getTime() - Math.max(5 * 60, seconds) * 1000);
  const unknown = (detail: string): VerificationCheck[] => [
    { name: "5xx rate", status: "unknown", detail },
    { name: "response time", status: "unknown", detail },
  ];
  let values;
  try {
    const result = await ports.metrics.query(
      {
        resourceIds: [site.siteId],
        namespace: siteMetrics.namespace,
        metricNames: siteMetrics.names,
        aggregations: siteMetrics.aggregations,
        start,
        end,
        interval: "PT1M",
        region: site.environment.region,
      },
      { abortSignal: context.abortSignal },
    );
    const mine = [...result.values()][0];
    if (!mine || mine.error || !mine.metrics)
      return unknown(`metrics unreadable: ${mine?.error ?? "no answer"}`);
    values = mine.metrics;
  } catch (error) {
    return unknown(`metrics unreadable: ${describeError(error)}`);
  }
  const total = (name: string) =>
    (values.get(name) ?? []).reduce<number | undefined>(
      (sum, p) => (p.total === undefined ? sum : (sum ?? 0) + p.total),
      undefined,
    );
  const averages = (values.get("HttpResponseTime") ?? [])
    .map((p) => p.average)
    .filter((v): v is number => v !== undefined);
  const requests = total("Requests");
  const errors = total("Http5xx");
  const checks: VerificationCheck[] = [];
  const kind = site.component?.policy.kind ?? "webapp";
  const errorLimit =
    kind === "api"
      ? 100 - policy.thresholds.api.successRatePercent.critical
      : policy.thresholds.webapp.errorRatePercent.critical;
  if (requests === undefined || errors === undefined || requests === 0) {
    checks.push({ name: "5xx rate", status: "unknown", detail: "no request metrics in the window" });
  } else {
    const rate = (errors / requests) * 100;
    checks.push({
      name: "5xx rate",
      status: rate > errorLimit ? "failed" : "ok",
      detail: `${rate.toFixed(2)}% (critical above ${errorLimit}%)`,
    });
  }
  if (averages.length === 0) {
    checks.push({
      name: "response time",
      status: "unknown",
      detail: "no response time metrics in the window",
    });
  } else {
    const ms = (averages.reduce((a, b) => a + b, 0) / averages.length) * 1000;
    const limit =
      kind === "api"
        ? policy.thresholds.api.latencyMs.critical
        : policy.thresholds.webapp.responseTimeMs.critical;
    checks.push({
      name: "response time",
      status: ms > limit ? "failed" : "ok",
      detail: `${ms.toFixed(0)} ms (critical above ${limit} ms)`,
    });
  }
  return checks;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (ms <= 0) return resolve();
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        reject(signal.reason instanceof Error ? signal.reason : new Error("aborted"));
      },
      { once: true },
    );
  });
}
