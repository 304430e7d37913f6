/**
 * The local Azure estate: an HTTPS server on loopback that speaks the Azure REST APIs the app uses,
 * over a seeded demo estate, so the app's real Azure SDK clients run against it unchanged. Only the
 * endpoints and the token source differ, as for a sovereign cloud. All services share one origin and
 * are routed by path:
 *
 *   /msi/token                                   managed identity (App Service 2019-08-01 and 2017-09-01, MSI POST)
 *   /metadata/endpoints                          Resource Manager metadata discovery (az cloud register)
 *   /{tenant}/v2.0/.well-known/openid-configuration, /{tenant}/discovery/v2.0/keys
 *   /subscriptions/...                           Resource Manager reads, Metrics_List, metricDefinitions,
 *                                                site config (config/web, appsettings/list, publishxml),
 *                                                plan writes (PUT/PATCH serverfarms, long-running),
 *                                                autoscale settings (GET/list/PUT/PATCH/DELETE),
 *                                                long-running operation status; Azure's errors for the rest
 *                                                Recovery Services backup (protected items, policies,
 *                                                jobs, Backups_Trigger and its operation and job)
 *   /subscriptions/{sub}/metrics:getBatch        Azure Monitor metrics data plane
 *   /v1/workspaces/{id}/query, /v1/$batch        Log Analytics
 *   /emails:send, /emails/operations/{id}        Communication Services Email (.eml files in the outbox)
 *   /_sites/{site}/health                        each site's own health endpoint
 *   /_estate/...                                 the estate's control API (scenarios, latency, faults, stats,
 *                                                autoscale settings, firing the high-cpu-usage alert)
 */
import { setMaxListeners } from "node:events";
import { randomBytes } from "node:crypto";
import { mkdir } from "node:fs/promises";
import { createServer } from "node:https";
import type { AddressInfo } from "node:net";
import { readLocalTls } from "../tls.ts";
import { TokenAuthority } from "./auth/tokens.ts";
import type { EstateContext } from "./context.ts";
import { FaultInjector, LatencyRules } from "./controls/faults.ts";
import { StatsRecorder } from "./controls/stats.ts";
import { ReadThrottle } from "./controls/throttle.ts";
import { BackupModel } from "./model/backups.ts";
import { demo, demoIds, demoTenantId } from "./model/demo.ts";
import { seedBenchEnvironment, seedDemoEstate } from "./model/seed.ts";
import { EstateState } from "./model/state.ts";
import type { ScenarioName } from "./scenarios.ts";
import { backupScenario, isScenarioName, missingResources, scenarioNames } from "./scenarios.ts";
import { LongRunningOperations } from "./server/operations.ts";
import { createRequestHandler } from "./server/pipeline.ts";
import { Router } from "./server/router.ts";
import { adminRoutes, benchSpecSchema } from "./surfaces/admin.ts";
import type { EstateControls } from "./surfaces/admin.ts";
import { AlertSender, fireAlertSchema } from "./surfaces/alert-webhook.ts";
import { armResourceRoutes, armWriteFallbackRoutes } from "./surfaces/arm-resources.ts";
import { autoscaleWriteRoutes, clearAutoscaleSettings, seedAutoscaleSetting } from "./surfaces/autoscale.ts";
import { emailRoutes } from "./surfaces/email.ts";
import { identityRoutes } from "./surfaces/identity.ts";
import { logAnalyticsRoutes } from "./surfaces/log-analytics.ts";
import { metadataRoutes } from "./surfaces/metadata.ts";
import { metricsBatchRoutes } from "./surfaces/metrics-batch.ts";
import { serverfarmWriteRoutes } from "./surfaces/serverfarm-writes.ts";
import { monitorMetricsRoutes } from "./surfaces/monitor-metrics.ts";
import { RecoveryServicesSurface } from "./surfaces/recovery-services.ts";
import { siteHealthRoutes } from "./surfaces/site-health.ts";
import { slotSwapRoutes } from "./surfaces/slot-swaps.ts";
import { webConfigRoutes } from "./surfaces/web-config.ts";

export { demoPolicy, demoEnvironment } from "./policy.ts";
export type { EnvironmentPolicyInput } from "./policy.ts";
export { scenarios, scenarioNames } from "./scenarios.ts";
export type { ScenarioName } from "./scenarios.ts";
export { demo, demoIds, demoTenantId, siteHealthUrl } from "./model/demo.ts";
export type { FaultSpec, FaultStatus } from "./controls/faults.ts";
export type { EstateStats } from "./controls/stats.ts";
export type { BenchSeed, BenchSpec } from "./model/seed.ts";
export type { AutoscaleSeed } from "./surfaces/autoscale.ts";
export type { FireAlertRequest, FiredAlert } from "./surfaces/alert-webhook.ts";
export { deriveSku } from "./model/plan-skus.ts";

export interface EstateOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Loopback only; 127.0.0.1 by default. */
  host?: string;
  scenario?: ScenarioName;
  /** Where accepted emails land as .eml files. */
  outboxDir: string;
  /** The secret callers must send in X-IDENTITY-HEADER; random when omitted. */
  identityHeader?: string;
  /** Latency added to every Azure route (not /_estate). */
  latencyMs?: number;
  /** Resource Manager read throttling (250 burst, 25/s per subscription and principal); on by default. */
  throttling?: boolean;
  log?: (line: string) => void;
}

export interface Estate extends EstateControls {
  /** `https://127.0.0.1:PORT`, no trailing slash. */
  url: string;
  /** IDENTITY_ENDPOINT for the app: `${url}/msi/token`. */
  identityEndpoint: string;
  /** IDENTITY_HEADER for the app. */
  identityHeader: string;
  tenantId: string;
  /** Recovery Services: the demo vault's items and jobs; benchmarks add vaults here. */
  backups: BackupModel;
  close(): Promise<void>;
}

function urlFor(host: string, port: number): string {
  return host.includes(":") ? `https://[${host}]:${port}` : `https://${host}:${port}`;
}

export async function startEstate(options: EstateOptions): Promise<Estate> {
  const host = options.host ?? "127.0.0.1";
  // It hands out tokens to anyone who can reach it: never listen beyond this machine.
  if (!["127.0.0.1", "::1", "localhost"].includes(host)) {
    throw new Error(`the estate listens on loopback only (127.0.0.1 or ::1), not '${host}'`);
  }
  const initialScenario = options.scenario ?? "healthy";
  if (!isScenarioName(initialScenario)) {
    throw new Error(`unknown scenario '${String(initialScenario)}': use one of ${scenarioNames.join(", ")}`);
  }
  const log = options.log ?? (() => undefined);
  const tls = await readLocalTls();
  await mkdir(options.outboxDir, { recursive: true });

  // The request handler needs the estate's URL (tokens, links), known only once the port is bound,
  // so it is attached after listen; nobody can call before the URL is handed out.
  const server = createServer({ cert: tls.cert, key: tls.key });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const url = urlFor(host, (server.address() as AddressInfo).port);

  const closing = new AbortController();
  // Every request in flight waits on this one signal (injected latency) and removes its listener when
  // done: many at once is the load, not a leak.
  setMaxListeners(0, closing.signal);
  const state = new EstateState();
  const tenantId = demoTenantId;
  const tokens = await TokenAuthority.create(url, tenantId);
  const identityHeader = options.identityHeader ?? randomBytes(24).toString("base64url");
  let scenario: ScenarioName = initialScenario;
  const ctx: EstateContext = {
    url,
    tenantId,
    identityHeader,
    state,
    operations: new LongRunningOperations(url),
    tokens,
    scenario: () => scenario,
    outboxDir: options.outboxDir,
    log,
  };
  seedDemoEstate(state, { url, tenantId });
  state.setHidden(missingResources(scenario));
  const backups = new BackupModel();
  backups.addVault({
    vaultId: demoIds.recoveryVault,
    resourceGroup: demo.resourceGroup,
    vms: [{ name: demo.sqlVm, vmId: demoIds.sqlVm, databases: [demo.sqlVmDatabase], scenarioTarget: true }],
  });

  const latency = new LatencyRules(options.latencyMs ?? 0);
  const faults = new FaultInjector();
  const stats = new StatsRecorder();
  const throttle = options.throttling === false ? undefined : new ReadThrottle();
  const alerts = new AlertSender(ctx);

  const estate: Estate = {
    url,
    identityEndpoint: `${url}/msi/token`,
    identityHeader,
    tenantId,
    backups,
    get scenario() {
      return scenario;
    },
    setScenario(name) {
      if (!isScenarioName(name)) throw new Error(`unknown scenario '${String(name)}'`);
      scenario = name;
      state.setHidden(missingResources(name));
      log(`scenario ${name}`);
    },
    setLatency: (ms, match) => latency.set(ms, match),
    addFault: (fault) => faults.add(fault),
    clearFaults: () => faults.clear(),
    stats: () => stats.snapshot(),
    resetStats: () => stats.reset(),
    seedBench(spec) {
      return seedBenchEnvironment(state, url, benchSpecSchema.parse(spec));
    },
    addAutoscaleSetting: (seed) => seedAutoscaleSetting(state, seed),
    clearAutoscaleSettings: () => clearAutoscaleSettings(state),
    fireAlert: (request) => alerts.send(fireAlertSchema.parse(request)),
    async close() {
      closing.abort();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };

  const router = new Router();
  // Order matters only where patterns overlap: specific extension routes (metrics) before the
  // generic Resource Manager route, which refuses paths with a second /providers/ anyway.
  router.add(adminRoutes(estate));
  router.add(identityRoutes(ctx));
  router.add(metadataRoutes(ctx));
  router.add(siteHealthRoutes(ctx));
  router.add(metricsBatchRoutes(ctx));
  router.add(monitorMetricsRoutes(ctx));
  router.add(ctx.operations.routes());
  router.add(webConfigRoutes(ctx));
  router.add(serverfarmWriteRoutes(ctx));
  router.add(slotSwapRoutes(ctx));
  router.add(autoscaleWriteRoutes(ctx));
  router.add(new RecoveryServicesSurface(ctx, backups, () => backupScenario(scenario)).routes());
  router.add(armResourceRoutes(ctx));
  router.add(logAnalyticsRoutes(ctx));
  router.add(emailRoutes(ctx));
  router.add(armWriteFallbackRoutes(ctx));
  server.on(
    "request",
    createRequestHandler({ ctx, router, latency, faults, stats, throttle, closing: closing.signal }),
  );

  log(`estate listening on ${url} (scenario ${scenario})`);
  return estate;
}

export type { EstateControls };
