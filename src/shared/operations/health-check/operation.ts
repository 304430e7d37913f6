import { randomUUID } from "node:crypto";
import pLimit from "p-limit";
import type { ComponentPolicy, EnvironmentPolicy, OpsPolicy } from "../../config/policy.ts";
import { OpsError, describeError } from "../../errors.ts";
import type { Logger } from "../../log.ts";
import { knownName, knownNames } from "../../names.ts";
import type { Ports } from "../../ports/catalogue.ts";
import type { HealthProbe, ProbeResult } from "../../ports/health-probe.ts";
import type { ResourceMetrics } from "../../ports/metrics-reader.ts";
import type { ResourceState } from "../../ports/resource-inventory.ts";
import type { RunContext } from "../../procedures/declaration.ts";
import { worstOf } from "../../procedures/status.ts";
import { renderHealthEmail } from "./email.ts";
import type { ComponentResult, HealthReport } from "./report.ts";
import { componentSignals, databaseMetrics, siteMetrics } from "./signals.ts";

export type HealthCheckPorts = Pick<Ports, "inventory" | "metrics" | "probe" | "email" | "runHistory">;

/** The name the health check's runs are kept under in the run history. */
export const HEALTH_HISTORY = "health";

export interface HealthCheckRequest {
  environment: string;
  /** Component names; all of the environment's when omitted. */
  components?: readonly string[];
  /** Tell the recipients when the run is not ok (default true). */
  notify?: boolean;
  /** Keep the run in the history (default true). */
  record?: boolean;
}

/** Resolves the environment and components a request names, or says exactly which names are wrong. */
export function selectComponents(
  policy: OpsPolicy,
  environment: string,
  names: readonly string[] | undefined,
): { env: EnvironmentPolicy; components: [string, ComponentPolicy][] } {
  const env = knownName(policy.environments, environment);
  if (!env) {
    throw new OpsError(
      "NotFound",
      `unknown environment "${environment}"; known: ${knownNames(policy.environments)}`,
      { details: { field: "environment" } },
    );
  }
  const all = Object.entries(env.components);
  if (!names) return { env, components: all };
  if (names.length === 0) {
    throw new OpsError("BadRequest", `no component named; known: ${knownNames(env.components)}`, {
      details: { field: "components" },
    });
  }
  const unknown = names.filter((n) => knownName(env.components, n) === undefined);
  if (unknown.length > 0) {
    throw new OpsError(
      "BadRequest",
      `unknown component${unknown.length > 1 ? "s" : ""} ${unknown.map((u) => `"${u}"`).join(", ")} in ${environment}; known: ${knownNames(env.components)}`,
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
  deps: HealthCheckPorts,
  request: HealthCheckRequest,
  context: RunContext,
): Promise<HealthReport> {
  const { policy, clock, logger } = context;
  const { env, components } = selectComponents(policy, request.environment, request.components);
  const settings = policy.healthCheck;
  const startedAt = clock.now();
  const runId = `${startedAt.toISOString().replace(/[-:.]/g, "").slice(0, 15)}-${randomUUID().slice(0, 8)}`;
  const end = startedAt;
  const start = new Date(end.getTime() - settings.windowMinutes * 60_000);
  const signal = context.abortSignal;

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
    trigger: context.trigger,
    startedAt: startedAt.toISOString(),
    finishedAt: clock.now().toISOString(),
    windowMinutes: settings.windowMinutes,
    status: worstOf(results.map((r) => r.status)),
    components: results,
    notification: null,
  };

  if (report.status !== "ok" && request.notify !== false) {
    // A scheduled run emails once for its day: a day given back and run again sends under the same key.
    const key = context.scheduled?.key ?? `health|${report.environment}|${report.runId}`;
    report.notification = await notify(deps, logger, env, report, key, signal);
  }
  if (request.record !== false) await saveRun(deps, report, signal);
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
  deps: HealthCheckPorts,
  logger: Logger,
  env: EnvironmentPolicy,
  report: HealthReport,
  idempotencyKey: string,
  abortSignal: AbortSignal | undefined,
): Promise<NonNullable<HealthReport["notification"]>> {
  const recipients = env.recipients;
  const { subject, html, text } = renderHealthEmail(report);
  try {
    await deps.email.send({ to: recipients, subject, html, text, idempotencyKey }, { abortSignal });
    return { sent: true, recipients };
  } catch (error) {
    // The run itself is still good evidence: keep it, and say in it that nobody was told.
    logger.error("health check email failed", { runId: report.runId, error: describeError(error) });
    return { sent: false, recipients, error: describeError(error) };
  }
}

async function saveRun(
  deps: HealthCheckPorts,
  report: HealthReport,
  abortSignal?: AbortSignal,
): Promise<void> {
  await deps.runHistory.saveRun(
    {
      procedure: HEALTH_HISTORY,
      scope: report.environment,
      runId: report.runId,
      trigger: report.trigger,
      status: report.status,
      startedAt: report.startedAt,
      finishedAt: report.finishedAt,
      facts: { componentCount: report.components.length, notified: report.notification?.sent ?? false },
    },
    report,
    { abortSignal },
  );
}
