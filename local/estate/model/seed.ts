import type { EnvironmentPolicyInput } from "../policy.ts";
import { databaseComponent, siteComponent } from "../policy.ts";
import { stableUuid } from "../signals/random.ts";
import { demo, demoIds, siteHealthUrl, vaultDataPlaneUrl } from "./demo.ts";
import {
  appServicePlan,
  keyVault,
  logAnalyticsWorkspace,
  p1v3,
  recoveryServicesVault,
  sqlDatabase,
  sqlServer,
  webSite,
  webSiteSlot,
} from "./resource-shapes.ts";
import type { EstateState } from "./state.ts";
import { packageUrl } from "../surfaces/slot-swaps.ts";

/** Settings of the kind the guide's sites carry; no secrets (those live in Key Vault references). */
function siteAppSettings(stage: string): Record<string, string> {
  return {
    WEBSITE_NODE_DEFAULT_VERSION: "~20",
    WEBSITE_RUN_FROM_PACKAGE: "1",
    NODE_ENV: "production",
    PHOENIX_STAGE: stage,
  };
}

/** The settings of a site running a release of the demo web app from its versioned package. */
function release(estateUrl: string, version: string): Record<string, string> {
  return {
    APP_VERSION: version,
    WEBSITE_RUN_FROM_PACKAGE: packageUrl(estateUrl, `phoenix-web-${version}.zip`),
  };
}

export function seedDemoEstate(state: EstateState, estate: { url: string; tenantId: string }): void {
  const base = {
    subscriptionId: demo.subscriptionId,
    resourceGroup: demo.resourceGroup,
    region: demo.region,
  };
  const environment = demo.environment;
  state.addSubscription({ subscriptionId: demo.subscriptionId, displayName: demo.subscriptionName });
  state.addResourceGroup({
    subscriptionId: demo.subscriptionId,
    name: demo.resourceGroup,
    location: demo.region,
    environment,
  });

  state.put({
    resource: appServicePlan({ ...base, name: demo.plan, sku: p1v3, numberOfSites: 2 }),
    environment,
    signals: { kind: "plan", scenarioTarget: true },
  });
  const web = webSite({ ...base, name: demo.webSite, planId: demoIds.plan, tags: { component: "webapp" } });
  state.put({
    resource: web,
    environment,
    signals: { kind: "webapp", scenarioTarget: true },
    appSettings: { ...siteAppSettings("production"), ...release(estate.url, demo.liveVersion) },
    slotSettingNames: ["PHOENIX_STAGE"],
  });
  state.put({
    resource: webSiteSlot(web, demo.stagingSlot, demo.subscriptionId, demo.resourceGroup),
    environment,
    appSettings: { ...siteAppSettings("staging"), ...release(estate.url, demo.stagedVersion) },
  });
  state.put({
    resource: webSite({ ...base, name: demo.apiSite, planId: demoIds.plan, tags: { component: "api" } }),
    environment,
    signals: { kind: "api", scenarioTarget: true },
    appSettings: siteAppSettings("production"),
  });
  state.put({ resource: sqlServer({ ...base, name: demo.sqlServer }), environment });
  state.put({
    resource: sqlDatabase({
      ...base,
      server: demo.sqlServer,
      name: demo.database,
      databaseId: stableUuid(demoIds.database),
    }),
    environment,
    signals: { kind: "database", scenarioTarget: true },
  });
  state.put({
    resource: keyVault({
      ...base,
      name: demo.keyVault,
      tenantId: estate.tenantId,
      vaultUri: vaultDataPlaneUrl(estate.url, demo.keyVault),
    }),
    environment,
  });
  state.put({ resource: recoveryServicesVault({ ...base, name: demo.recoveryVault }), environment });
  state.put({
    resource: logAnalyticsWorkspace({ ...base, name: demo.workspace, customerId: demo.workspaceId }),
    environment,
  });
}

export interface BenchSpec {
  environment: string;
  webapps: number;
  apis: number;
  databases: number;
  /**
   * Gives every web app a staging slot (production runs 2.3.1, staging 2.4.0), and makes the first
   * `badStaging` of them stage the bad-staging scenario's release (the others stage 2.3.2).
   */
  stagingSlots?: { badStaging: number };
}

/** A bench environment: what seedBench returns, shaped as an ops-policy environment. */
export type BenchSeed = EnvironmentPolicyInput;

/** Sites per App Service plan and databases per SQL server in a bench environment. */
const sitesPerPlan = 100;
const databasesPerServer = 100;

function number(n: number): string {
  return String(n).padStart(4, "0");
}

/**
 * Adds a synthetic environment (resource group `rg-phoenix-{environment}` in the demo subscription)
 * with the requested number of web apps, APIs and databases, all at the healthy baseline, and returns
 * its policy environment. Seeding the same environment again replaces it.
 */
export function seedBenchEnvironment(state: EstateState, estateUrl: string, spec: BenchSpec): BenchSeed {
  const environment = spec.environment;
  const resourceGroup = `rg-phoenix-${environment}`;
  const base = { subscriptionId: demo.subscriptionId, resourceGroup, region: demo.region };
  state.addResourceGroup({
    subscriptionId: demo.subscriptionId,
    name: resourceGroup,
    location: demo.region,
    environment,
  });
  state.clearResourceGroup(demo.subscriptionId, resourceGroup);

  const components: BenchSeed["components"] = {};
  const sites: { kind: "webapp" | "api"; component: string }[] = [
    ...Array.from({ length: spec.webapps }, (_, i) => ({
      kind: "webapp" as const,
      component: `web-${number(i + 1)}`,
    })),
    ...Array.from({ length: spec.apis }, (_, i) => ({
      kind: "api" as const,
      component: `api-${number(i + 1)}`,
    })),
  ];
  const planCount = Math.ceil(sites.length / sitesPerPlan);
  for (let p = 0; p < planCount; p++) {
    const planName = `asp-phoenix-${environment}-${String(p + 1).padStart(2, "0")}`;
    const onPlan = sites.slice(p * sitesPerPlan, (p + 1) * sitesPerPlan);
    const plan = appServicePlan({ ...base, name: planName, sku: p1v3, numberOfSites: onPlan.length });
    state.put({ resource: plan, environment, signals: { kind: "plan", scenarioTarget: false } });
    for (const site of onPlan) {
      const name = `phoenix-${environment}-${site.component}`;
      const resource = webSite({ ...base, name, planId: plan.id, tags: { component: site.kind } });
      const slots = site.kind === "webapp" ? spec.stagingSlots : undefined;
      state.put({
        resource,
        environment,
        signals: { kind: site.kind, scenarioTarget: false },
        ...(slots ? { appSettings: release(estateUrl, demo.liveVersion), slotSettingNames: [] } : {}),
      });
      if (slots) {
        const bad = Number(site.component.slice(4)) <= slots.badStaging;
        state.put({
          resource: webSiteSlot(resource, demo.stagingSlot, demo.subscriptionId, resourceGroup),
          environment,
          appSettings: release(estateUrl, bad ? demo.stagedVersion : "2.3.2"),
        });
      }
      components[site.component] = siteComponent(site.kind, resource.id, siteHealthUrl(estateUrl, name));
    }
  }

  const serverCount = Math.ceil(spec.databases / databasesPerServer);
  for (let s = 0; s < serverCount; s++) {
    const server = `sql-phoenix-${environment}-${String(s + 1).padStart(2, "0")}`;
    state.put({ resource: sqlServer({ ...base, name: server }), environment });
    const first = s * databasesPerServer;
    for (let d = first; d < Math.min(spec.databases, first + databasesPerServer); d++) {
      const name = `db-${number(d + 1)}`;
      const id = `/subscriptions/${demo.subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.Sql/servers/${server}/databases/${name}`;
      const resource = sqlDatabase({ ...base, server, name, databaseId: stableUuid(id) });
      state.put({ resource, environment, signals: { kind: "database", scenarioTarget: false } });
      components[name] = databaseComponent(resource.id);
    }
  }

  return {
    subscriptionId: demo.subscriptionId,
    resourceGroup,
    region: demo.region,
    recipients: [...demo.recipients],
    components,
  };
}
