import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AzResult, type AzTarget, findAz, prepareAz, runAz } from "../../local/az.ts";
import { demo, demoIds } from "../../local/estate/index.ts";
import type { LocalStack } from "../../local/stack.ts";
import { ArmInventory } from "../../src/shared/adapters/arm-inventory.ts";
import { MonitorMetricSeriesReader } from "../../src/shared/adapters/monitor-metric-series.ts";
import { MonitorMetricsReader } from "../../src/shared/adapters/monitor-metrics.ts";
import { createAzureClients } from "../../src/shared/composition/azure-clients.ts";
import { createCredential } from "../../src/shared/composition/credential.ts";
import { loadSettings } from "../../src/shared/config/load.ts";
import { databaseMetrics, siteMetrics } from "../../src/shared/operations/health-check/signals.ts";
import type { MetricDatapoint } from "../../src/shared/ports/metrics-reader.ts";
import { startTestStack } from "../support/stack.ts";

/**
 * The conformance tier: Debian's azure-cli (2.45), a client nobody on the team wrote, runs the
 * operations guide's az commands against the local estate, and what it prints is compared with what
 * the app's own adapters read for the same resource and window. A command az itself cannot run
 * against Azure is shown failing in az, not made to pass by the estate.
 */

const az = findAz();
const rg = demo.resourceGroup;

/** az's JSON output; fails the test with az's own message when az failed. */
function parsed<T>(result: AzResult): T {
  if (result.code !== 0) throw new Error(`az failed (exit ${result.code}): ${result.stderr}`);
  return JSON.parse(result.stdout) as T;
}

interface AzMetricsResponse {
  timespan: string;
  interval: string;
  value: {
    name: { value: string };
    unit: string;
    timeseries: { data: (Record<string, number | undefined> & { timeStamp: string })[] }[];
  }[];
}

describe.skipIf(!az)("the guide's az commands against the local estate", () => {
  let stack: LocalStack;
  let target: AzTarget;
  let configRoot: string;
  let adapters: {
    inventory: ArmInventory;
    metrics: MonitorMetricsReader;
    series: MonitorMetricSeriesReader;
  };
  const run = (...args: string[]) => runAz(az ?? "az", target, args);

  beforeAll(async () => {
    stack = await startTestStack({ withHost: false });
    configRoot = await mkdtemp(join(tmpdir(), "phoenix-az-"));
    target = {
      estateUrl: stack.estate.url,
      identityEndpoint: stack.estate.identityEndpoint,
      identityHeader: stack.estate.identityHeader,
      caPath: process.env["NODE_EXTRA_CA_CERTS"] ?? "",
      configDir: join(configRoot, "az"),
    };
    await prepareAz(az ?? "az", target);

    // The app's adapters, built as the app builds them, from the settings the stack gives the app.
    Object.assign(process.env, {
      IDENTITY_ENDPOINT: stack.settings["IDENTITY_ENDPOINT"],
      IDENTITY_HEADER: stack.settings["IDENTITY_HEADER"],
    });
    const settings = loadSettings(stack.settings);
    const clients = createAzureClients(settings, createCredential(settings));
    adapters = {
      inventory: new ArmInventory({ webSites: clients.webSites, sql: clients.sql }),
      metrics: new MonitorMetricsReader(clients.metrics),
      series: new MonitorMetricSeriesReader(clients.monitor),
    };
  });

  afterAll(async () => {
    await stack?.close();
    if (configRoot) await rm(configRoot, { recursive: true, force: true });
  });

  describe("signing in", () => {
    it("registers the estate as a cloud from its discovery document in one command", async () => {
      const dir = join(configRoot, "register-only");
      const fresh = { ...target, configDir: dir };
      const registered = await runAz(az ?? "az", fresh, [
        "cloud",
        "register",
        "--name",
        "EstateOnly",
        "--endpoint-resource-manager",
        `${stack.estate.url}/`,
      ]);
      expect(registered.code, registered.stderr).toBe(0);
      const cloud = parsed<{ endpoints: Record<string, string> }>(
        await runAz(az ?? "az", fresh, ["cloud", "show", "--name", "EstateOnly", "-o", "json"]),
      );
      expect(cloud.endpoints["resourceManager"]).toBe(`${stack.estate.url}/`);
      expect(cloud.endpoints["activeDirectory"]).toBe(`${stack.estate.url}/`);
      expect(cloud.endpoints["activeDirectoryResourceId"]).toBe("https://management.core.windows.net/");
    });

    it("signs in through the MSI extension's form POST too (MSI_ENDPOINT outside App Service)", async () => {
      const viaForm: AzTarget = {
        ...target,
        configDir: join(configRoot, "msi-form"),
        identityContract: "msi-form",
      };
      await prepareAz(az ?? "az", viaForm);
      const account = parsed<{ id: string }>(
        await runAz(az ?? "az", viaForm, ["account", "show", "-o", "json"]),
      );
      expect(account.id).toBe(demo.subscriptionId);
      expect(stack.estate.stats().byRoute["msi-token-form"]).toBeGreaterThan(0);
    });

    it("is logged in through the estate's managed identity, to the demo subscription", async () => {
      const account = parsed<Record<string, unknown>>(await run("account", "show", "-o", "json"));
      expect(account).toMatchObject({
        id: demo.subscriptionId,
        name: demo.subscriptionName,
        tenantId: stack.estate.tenantId,
        environmentName: "PhoenixLocal",
        user: { type: "servicePrincipal", assignedIdentityInfo: "MSI" },
      });
    });
  });

  describe("App Service and SQL", () => {
    it("az webapp list: the demo sites, in the states the app's inventory reads", async () => {
      const sites = parsed<{ id: string; name: string; state: string; resourceGroup: string }[]>(
        await run("webapp", "list", "-o", "json"),
      );
      expect(sites.map((s) => s.name).sort()).toEqual([demo.apiSite, demo.webSite].sort());
      const states = await adapters.inventory.getStates([demoIds.webSite, demoIds.apiSite]);
      for (const site of sites) {
        expect(site.resourceGroup).toBe(rg);
        expect(site.state).toBe(states.get(site.id)?.state ?? states.get(site.id.toLowerCase())?.state);
        expect(site.state).toBe("Running");
      }
      const table = await run("webapp", "list", "-o", "table");
      expect(table.code).toBe(0);
      expect(table.stdout).toMatch(new RegExp(`${demo.webSite}\\s+West Europe\\s+Running\\s+${rg}`));
    });

    it("az webapp show: the site, its site config and its FTP publishing URL", async () => {
      const site = parsed<Record<string, unknown> & { siteConfig: Record<string, unknown> }>(
        await run("webapp", "show", "--name", demo.webSite, "--resource-group", rg, "-o", "json"),
      );
      expect(site).toMatchObject({
        id: demoIds.webSite,
        name: demo.webSite,
        state: "Running",
        defaultHostName: `${demo.webSite}.azurewebsites.net`,
        appServicePlanId: demoIds.plan,
      });
      expect(site.siteConfig).toMatchObject({ alwaysOn: true, minTlsVersion: "1.2", http20Enabled: true });
      expect(String(site["ftpPublishingUrl"])).toMatch(/^ftps:\/\//);
    });

    it("az webapp show --slot staging: the staging slot", async () => {
      const slot = parsed<Record<string, unknown>>(
        await run("webapp", "show", "-n", demo.webSite, "-g", rg, "--slot", demo.stagingSlot, "-o", "json"),
      );
      expect(slot).toMatchObject({ id: demoIds.stagingSlot, state: "Running" });
    });

    it("az webapp config appsettings list: the site's settings", async () => {
      const settings = parsed<{ name: string; value: string; slotSetting: boolean }[]>(
        await run("webapp", "config", "appsettings", "list", "-n", demo.webSite, "-g", rg, "-o", "json"),
      );
      // The release it runs, and PHOENIX_STAGE, a slot setting (config/slotConfigNames): it stays in a swap.
      expect(settings).toContainEqual({ name: "APP_VERSION", value: demo.liveVersion, slotSetting: false });
      expect(settings).toContainEqual({ name: "PHOENIX_STAGE", value: "production", slotSetting: true });
    });

    it("az appservice plan show: the plan and its size", async () => {
      const plan = parsed<Record<string, unknown>>(
        await run("appservice", "plan", "show", "--name", demo.plan, "--resource-group", rg, "-o", "json"),
      );
      expect(plan).toMatchObject({
        id: demoIds.plan,
        sku: { name: "P1v3", tier: "PremiumV3", capacity: 1 },
      });
    });

    it("az sql db show: the database, in the state the app's inventory reads", async () => {
      const db = parsed<Record<string, unknown>>(
        await run(
          "sql",
          "db",
          "show",
          "-g",
          rg,
          "--server",
          demo.sqlServer,
          "--name",
          demo.database,
          "-o",
          "json",
        ),
      );
      expect(db).toMatchObject({ id: demoIds.database, name: demo.database, status: "Online" });
      const states = await adapters.inventory.getStates([demoIds.database]);
      expect([...states.values()][0]).toMatchObject({ exists: true, state: db["status"] });
    });
  });

  describe("az monitor metrics list", () => {
    it("the guide's command as written: the plan's CpuPercentage, hourly, as the app's Metrics_List reads it", async () => {
      const response = parsed<AzMetricsResponse>(
        await run(
          "monitor",
          "metrics",
          "list",
          "--resource",
          demoIds.plan,
          "--metric",
          "CpuPercentage",
          "--interval",
          "PT1H",
          "-o",
          "json",
        ),
      );
      // az prints the interval as Python renders a timedelta.
      expect(response.interval).toBe("1:00:00");
      const metric = response.value[0];
      expect(metric?.name.value).toBe("CpuPercentage");
      expect(metric?.unit).toBe("Percent");
      const points = metric?.timeseries[0]?.data ?? [];
      expect(points.length).toBeGreaterThan(0);
      for (const point of points) expect(point["average"]).toBeGreaterThan(0);

      // The same window through the app's own Metrics_List adapter.
      const [start = "", end = ""] = response.timespan.split("/");
      const series = await adapters.series.getSeries({
        resourceId: demoIds.plan,
        metricName: "CpuPercentage",
        start: new Date(start),
        end: new Date(end),
        interval: "PT1H",
        aggregations: ["average"],
      });
      expect(series.points.map((p) => [new Date(p.timeStamp).toISOString(), p.average])).toEqual(
        points.map((p) => [new Date(p.timeStamp).toISOString(), p["average"]]),
      );
    });

    // Every metric the health check reads, over one window, against what its metrics:getBatch adapter reads.
    const end = new Date(Math.floor(Date.now() / 300_000) * 300_000);
    const start = new Date(end.getTime() - 30 * 60_000);
    const cases = [
      { label: "the web app", id: demoIds.webSite, spec: siteMetrics },
      { label: "the API", id: demoIds.apiSite, spec: siteMetrics },
      { label: "the database", id: demoIds.database, spec: databaseMetrics },
    ];
    for (const { label, id, spec } of cases) {
      it(`${label}: ${spec.names.join(", ")}, identical to what the health check reads`, async () => {
        const response = parsed<AzMetricsResponse>(
          await run(
            "monitor",
            "metrics",
            "list",
            "--resource",
            id,
            "--metric",
            ...spec.names,
            "--start-time",
            start.toISOString(),
            "--end-time",
            end.toISOString(),
            "--interval",
            "PT5M",
            "--aggregation",
            ...spec.aggregations.map((a) => a.charAt(0).toUpperCase() + a.slice(1)),
            "-o",
            "json",
          ),
        );
        const app = await adapters.metrics.query({
          resourceIds: [id],
          namespace: spec.namespace,
          metricNames: spec.names,
          aggregations: spec.aggregations,
          start,
          end,
          interval: "PT5M",
          region: demo.region,
        });
        const appMetrics = app.get(id)?.metrics;
        expect(appMetrics, app.get(id)?.error).toBeDefined();
        expect(response.value.map((m) => m.name.value).sort()).toEqual([...spec.names].sort());
        for (const metric of response.value) {
          const fromAz = metric.timeseries[0]?.data ?? [];
          expect(fromAz).toHaveLength(6);
          const fromApp: MetricDatapoint[] = appMetrics?.get(metric.name.value) ?? [];
          const project = (p: { timeStamp: string | Date; [aggregation: string]: unknown }) => [
            new Date(p.timeStamp).toISOString(),
            ...spec.aggregations.map((a) => p[a] ?? null),
          ];
          expect(fromAz.map(project), metric.name.value).toEqual(fromApp.map((p) => project({ ...p })));
        }
      });
    }
  });

  describe("guide commands az 2.45 itself cannot run as written (documented with the form that works)", () => {
    it("az webapp scale does not exist (the guide means az appservice plan update --sku P2V2)", async () => {
      const result = await run(
        "webapp",
        "scale",
        "--name",
        demo.webSite,
        "--resource-group",
        rg,
        "--plan-size",
        "P2V2",
      );
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(/'scale' is misspelled or not recognized/);
    });

    for (const command of [
      ["keyvault", "list-deleted"],
      ["security", "assessment", "list"],
    ]) {
      it(`az ${command.join(" ")} takes no --resource-group`, async () => {
        const result = await run(...command, "--resource-group", rg);
        expect(result.code).toBe(2);
        expect(result.stderr).toMatch(/unrecognized arguments: --resource-group/);
      });
    }

    it("az backup protection backup-now needs --backup-management-type with a container's name", async () => {
      const result = await run(
        "backup",
        "protection",
        "backup-now",
        "--item-name",
        demo.database,
        "--vault-name",
        demo.recoveryVault,
        "--resource-group",
        rg,
        "--container-name",
        demo.sqlServer,
      );
      expect(result.code).not.toBe(0);
      expect(result.stderr).toMatch(/--backup-management-type is required/);
    });

    it("az monitor log-analytics query needs an extension az cannot install offline", async () => {
      const result = await run("monitor", "log-analytics", "query", "--workspace-name", demo.workspace);
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(/'query' is misspelled or not recognized/);
    });

    it("az policy state summarize sends the resource group as the subscription (Debian's packaging)", async () => {
      const result = await run("policy", "state", "summarize", "--resource-group", rg);
      expect(result.code).not.toBe(0);
      expect(result.stderr).toContain(`The subscription '${rg}' could not be found.`);
    });

    it("az role assignment list crashes inside az (Debian's packaging), before any request", async () => {
      const result = await run("role", "assignment", "list", "--resource-group", rg);
      expect(result.code).not.toBe(0);
      expect(result.stderr).toMatch(/AttributeError/);
    });
  });

  describe("az backup job list (the guide's backup check)", () => {
    it("lists the demo vault's jobs with their operation and status", async () => {
      const result = await run(
        "backup",
        "job",
        "list",
        "--vault-name",
        demo.recoveryVault,
        "--resource-group",
        rg,
        "-o",
        "json",
      );
      expect(result.code).toBe(0);
      const jobs = JSON.parse(result.stdout) as {
        properties: { operation: string; status: string; entityFriendlyName: string };
      }[];
      expect(jobs.length).toBeGreaterThan(0);
      for (const job of jobs) {
        expect(job.properties.operation).toMatch(/\w/);
        expect(job.properties.status).toMatch(/\w/);
      }
    });
  });

  describe("guide commands whose Azure surface the estate does not serve yet: Azure's error, never an empty answer", () => {
    // Each later issue that adds the surface turns its case into a conformance check above.
    const cases: { command: string[]; code: RegExp }[] = [
      // The backup jobs are served: see the case above.
      // TODO(#13): deleted vaults and security assessments.
      { command: ["keyvault", "list-deleted"], code: /InvalidResourceType/ },
      { command: ["security", "assessment", "list"], code: /InvalidResourceType/ },
      // The slot swap is served: see slot-swap.az.ts.
      // The plan update behind emergency scaling is served: see emergency-scaling.az.ts.
      // No issue serves publishing credentials and the Kudu dump yet.
      {
        command: [
          "webapp",
          "log",
          "download",
          "--name",
          demo.webSite,
          "--resource-group",
          rg,
          "--log-file",
          join(tmpdir(), "phoenix-az-logs.zip"),
        ],
        code: /InvalidResourceType/,
      },
    ];
    for (const { command, code } of cases) {
      it(`az ${command.slice(0, 4).join(" ")}`, async () => {
        const result = await run(...command);
        expect(result.code).not.toBe(0);
        expect(result.stderr).toMatch(code);
        expect(result.stdout.trim()).toBe("");
      });
    }
  });
});
