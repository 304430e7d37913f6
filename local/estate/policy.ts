import type { OpsPolicyInput } from "../../src/shared/config/policy.ts";
import { demo, demoIds, siteHealthUrl } from "./model/demo.ts";

/** One environment of the ops policy, as written in config/ops-policy.json. */
export type EnvironmentPolicyInput = OpsPolicyInput["environments"][string];
type ComponentInput = EnvironmentPolicyInput["components"][string];

export function siteComponent(
  kind: "webapp" | "api",
  resourceId: string,
  healthUrl: string,
  description?: string,
): ComponentInput {
  return { kind, resourceId, healthUrl, ...(description ? { description } : {}) };
}

export function databaseComponent(resourceId: string, description?: string): ComponentInput {
  return { kind: "database", resourceId, ...(description ? { description } : {}) };
}

/** Environment `prod` of the demo estate. */
export function demoEnvironment(estateUrl: string): EnvironmentPolicyInput {
  return {
    subscriptionId: demo.subscriptionId,
    resourceGroup: demo.resourceGroup,
    region: demo.region,
    logAnalyticsWorkspaceId: demo.workspaceId,
    logAnalyticsWorkspaceName: demo.workspace,
    appServicePlan: demoIds.plan,
    // The demo plan runs P1v3: emergency scaling climbs its family, never above P3V3.
    scaling: { skus: ["P1V3", "P2V3", "P3V3"], minInstances: 1, maxInstances: 10 },
    // The guide's backup schedule for the SQL Server database in the VM; the VM itself is snapshotted daily.
    backups: {
      vaults: [demoIds.recoveryVault],
      items: { [demo.sqlVm]: { full: { every: "P1D", retention: "P30D" } } },
    },
    recipients: [...demo.recipients],
    components: {
      webapp: siteComponent(
        "webapp",
        demoIds.webSite,
        siteHealthUrl(estateUrl, demo.webSite),
        "Customer web app",
      ),
      api: siteComponent("api", demoIds.apiSite, siteHealthUrl(estateUrl, demo.apiSite), "Public API"),
      database: databaseComponent(demoIds.database, "Primary SQL database"),
    },
  };
}

/**
 * An ops policy describing the demo estate, with the guide's thresholds and alert rule. It is what
 * `npm start` writes for the app when it runs against the local estate.
 */
export function demoPolicy(estateUrl: string): OpsPolicyInput {
  return {
    version: 1,
    environments: { [demo.environment]: demoEnvironment(estateUrl) },
    thresholds: {
      webapp: {
        responseTimeMs: { warning: 1000, critical: 3000 },
        errorRatePercent: { warning: 1, critical: 5 },
        probeTimeMs: { warning: 1000, critical: 3000 },
      },
      api: {
        latencyMs: { warning: 500, critical: 2000 },
        successRatePercent: { warning: 99, critical: 95, direction: "below" },
        probeTimeMs: { warning: 1000, critical: 3000 },
      },
      database: {
        connectionPoolPercent: { warning: 80, critical: 95 },
        failedConnections: { warning: 0, critical: 10 },
        cpuPercent: { warning: 80, critical: 95 },
        deadlocks: { warning: 0, critical: 5 },
      },
    },
    healthCheck: {
      hourUtc: 6,
      windowMinutes: 15,
      probeTimeoutMs: 5000,
      metricsConcurrency: 8,
      probeConcurrency: 64,
    },
    // Short enough to watch in a terminal; config/ops-policy.json has the production figures.
    maintenance: {
      verificationSeconds: 6,
      verificationProbes: 4,
      lastKnownGoodMinutes: 0,
      conflictWaitSeconds: 30,
      warmupSeconds: 30,
    },
    alertRules: [
      {
        name: "high-cpu-usage",
        threshold: 80,
        window: "PT5M",
        action: { type: "email", recipients: ["ops@phoenixvc.tech"] },
        metric: "CpuPercentage",
        target: { environment: demo.environment, resource: "plan" },
        // The guide's emergency step: the plan one size up while CPU is high, back once it is calm.
        scale: { up: true, out: 0, back: "auto", stabilisationMinutes: 15 },
      },
    ],
  };
}
