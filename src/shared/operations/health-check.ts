import { randomUUID } from "node:crypto";
import pLimit from "p-limit";
import type { ComponentPolicy, EnvironmentPolicy, OpsPolicy } from "../config/policy.ts";
import { OpsError, describeError } from "../errors.ts";
import type { ComponentResult, HealthReport } from "../health/report.ts";
import { componentSignals, databaseMetrics, siteMetrics } from "../health/signals.ts";
import { worstOf } from "../health/status.ts";
import type { Logger } from "../log.ts";
import type {
  Clock,
  EmailSender,
  HealthProbe,
  MetricsReader,
  ProbeResult,
  ResourceInventory,
  ResourceMetrics,
  ResourceState,
} from "../ports/index.ts";
import type { RunStore } from "../ports/store.ts";
import { renderHealthEmail } from "../reports/health-email.ts";

export interface HealthCheckDeps {
  policy: OpsPolicy;
  inventory: ResourceInventory;
  metrics: MetricsReader;
  probe: HealthProbe;
  email: EmailSender;
  store: RunStore;
  clock: Clock;
  logger: Logger;
}

export interface HealthCheckRequest {
  environment: string;
  /** Component names; all of the environment's when omitted. */
  components?: readonly string[];
  trigger: HealthReport["trigger"];
  /** Tell the recipients when the run is not ok (default true). */
  notify?: boolean;
  /** Keep the run in the history (default true). */
  record?: boolean;
  abortSignal?: AbortSignal;
}

/** Resolves the environment and components a request names, or says exactly which names are wrong. */
export function selectComponents(
  policy: OpsPolicy,
  environment: string,
  names: readonly string[] | undefined,
): { env: EnvironmentPolicy; components: [string, ComponentPolicy][] } {
  const env = policy.environments[environment];
  if (!env) {
    throw new OpsError(
      "NotFound",
      `unknown environment "${environment}"; known: ${Object.keys(policy.environments).join(", ")}`,
      {
        details: { field: "environment" },
      },
    );
  }
  const all = Object.entries(env.components);
  if (!names || names.length === 0) return { env, components: all };
  const unknown = names.filter((n) => !(n in env.components));
  if (unknown.length > 0) {
    throw new OpsError(
      "BadRequest",
      `unknown component${unknown.length > 1 ? "s" : ""} ${unknown.map((u) => `"${u}"`).join(", ")} in ${environment}; known: ${Object.keys(env.components).join(", ")}`,
      { details: { field: "components" } },
    );
  }
  const wanted = new Set(names);
  return { env, components: all.filter(([name]) => wanted.has(name)) };
}

/**
 * The guide's daily health check (`health-check.sh --environment prod --components "webapp,api,database"`).
 * Evidence comes from three sources at once (Resource Manager, Azure Monitor metrics, the health URLs);
 * a source that fails makes its signals unknown and never stops the others.
 */
export async function runHealthCheck(
  deps: HealthCheckDeps,
  request: HealthCheckRequest,
): Promise<HealthReport> {
  const { policy, clock, logger } = deps;
  const { env, components } = selectComponents(policy, request.environment, request.components);
  const settings = policy.healthCheck;
  const startedAt = clock.now();
  const runId = `${startedAt.toISOString().replace(/[-:.]/g, "").slice(0, 15)}-${randomUUID().slice(0, 8)}`;
  const end = startedAt;
  const start = new Date(end.getTime() - settings.windowMinutes * 60_000);
  const signal = request.abortSignal;

  const siteIds = components.filter(([, c]) => c.kind !== "database").map(([, c]) => c.resourceId);
  const dbIds = components.filter(([, c]) => c.kind === "database").map(([, c]) => c.resourceId);

  const [states, siteValues, dbValues, probes] = await Promise.all([
    settle("resource states", logger, () =>
      deps.inventory.getStates(
        components.map(([, c]) => c.resourceId),
        { abortSignal: signal },
      ),
    ),
    settle("site metrics", logger, () =>
      deps.metrics.query(
        {
          resourceIds: siteIds,
          namespace: siteMetrics.namespace,
          metricNames: siteMetrics.names,
          aggregations: siteMetrics.aggregations,
          start,
          end,
          interval: "PT5M",
          region: env.region,
        },
        { abortSignal: signal, concurrency: settings.metricsConcurrency },
      ),
    ),
    settle("database metrics", logger, () =>
      deps.metrics.query(
        {
          resourceIds: dbIds,
          namespace: databaseMetrics.namespace,
          metricNames: databaseMetrics.names,
          aggregations: databaseMetrics.aggregations,
          start,
          end,
          interval: "PT5M",
          region: env.region,
        },
        { abortSignal: signal, concurrency: settings.metricsConcurrency },
      ),
    ),
    probeAll(deps.probe, components, settings.probeTimeoutMs, settings.probeConcurrency, signal),
  ]);

  const results: ComponentResult[] = components.map(([name, component]) => {
    const state = pick<ResourceState>(states, component.resourceId, (error) => ({
      resourceId: component.resourceId,
      exists: false,
      error,
    }));
    const metricsSource = component.kind === "database" ? dbValues : siteValues;
    const metrics = pick<ResourceMetrics>(metricsSource, component.resourceId, (error) => ({
      resourceId: component.resourceId,
      error,
    }));
    const signals = componentSignals(
      component,
      { state, metrics, probe: probes.get(name) },
      policy.thresholds,
    );
    return {
      name,
      kind: component.kind,
      resourceId: component.resourceId,
      status: worstOf(signals.map((s) => s.status)),
      signals,
    };
  });

  const report: HealthReport = {
    runId,
    environment: request.environment,
    trigger: request.trigger,
    startedAt: startedAt.toISOString(),
    finishedAt: clock.now().toISOString(),
    windowMinutes: settings.windowMinutes,
    status: worstOf(results.map((r) => r.status)),
    components: results,
    notification: null,
  };

  if (report.status !== "ok" && request.notify !== false) {
    report.notification = await notify(deps, env, report, signal);
  }
  if (request.record !== false) await deps.store.saveHealthRun(report);
  logger.info("health check finished", {
    runId,
    environment: report.environment,
    trigger: report.trigger,
    status: report.status,
    components: results.length,
    notified: report.notification?.sent ?? false,
  });
  return report;
}

type Settled<T> = { ok: true; value: T } | { ok: false; error: string };

async function settle<T>(what: string, logger: Logger, work: () => Promise<T>): Promise<Settled<T>> {
  try {
    return { ok: true, value: await work() };
  } catch (error) {
    logger.warn("health check source failed", { source: what, error: describeError(error) });
    return { ok: false, error: describeError(error) };
  }
}

function pick<T>(source: Settled<Map<string, T>>, id: string, onError: (error: string) => T): T | undefined {
  return source.ok ? source.value.get(id) : onError(source.error);
}

async function probeAll(
  probe: HealthProbe,
  components: [string, ComponentPolicy][],
  timeoutInMs: number,
  concurrency: number,
  abortSignal: AbortSignal | undefined,
): Promise<Map<string, ProbeResult>> {
  const limit = pLimit(concurrency);
  const out = new Map<string, ProbeResult>();
  await Promise.all(
    components.map(([name, component]) =>
      component.kind !== "database" && component.healthUrl
        ? limit(async () => {
            out.set(name, await probe.probe(component.healthUrl as string, { timeoutInMs, abortSignal }));
          })
        : Promise.resolve(),
    ),
  );
  return out;
}

async function notify(
  deps: HealthCheckDeps,
  env: EnvironmentPolicy,
  report: HealthReport,
  abortSignal: AbortSignal | undefined,
): Promise<NonNullable<HealthReport["notification"]>> {
  const recipients = env.recipients;
  const { subject, html, text } = renderHealthEmail(report);
  try {
    await deps.email.send(
      { to: recipients, subject, html, text, idempotencyKey: `health|${report.environment}|${report.runId}` },
      { abortSignal },
    );
    return { sent: true, recipients };
  } catch (error) {
    // The run itself is still good evidence: keep it, and say in it that nobody was told.
    deps.logger.error("health check email failed", { runId: report.runId, error: describeError(error) });
    return { sent: false, recipients, error: describeError(error) };
  }
}
