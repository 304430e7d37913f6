import { WebSiteManagementClient } from "@azure/arm-appservice";
import type { ManagedIdentityCredential } from "@azure/identity";
import { RestError } from "@azure/core-rest-pipeline";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Estate } from "../../local/estate/index.ts";
import { demo, demoIds } from "../../local/estate/index.ts";
import { at, call, rawToken, startTestEstate } from "./helpers.ts";

const apiVersion = "api-version=2021-11-01";

describe("Resource Manager reads", () => {
  let estate: Estate;
  let credential: ManagedIdentityCredential;
  let close: () => Promise<void>;
  let web: WebSiteManagementClient;
  let token: string;

  beforeAll(async () => {
    ({ estate, credential, close } = await startTestEstate());
    web = new WebSiteManagementClient(credential, demo.subscriptionId, {
      endpoint: estate.url,
      credentials: { scopes: [`${estate.url}/.default`] },
    });
    token = await rawToken(estate);
  });
  afterAll(() => close());

  it("lists and gets web apps, slots and the plan through WebSiteManagementClient", async () => {
    const names: string[] = [];
    for await (const site of web.webApps.listByResourceGroup(demo.resourceGroup)) names.push(site.name ?? "");
    expect(names.sort()).toEqual([demo.apiSite, demo.webSite]);

    const site = await web.webApps.get(demo.resourceGroup, demo.webSite);
    expect(site.id).toBe(demoIds.webSite);
    expect(site.state).toBe("Running");
    expect(site.serverFarmId).toBe(demoIds.plan);
    expect(site.defaultHostName).toBe(`${demo.webSite}.azurewebsites.net`);

    const slots: string[] = [];
    for await (const slot of web.webApps.listSlots(demo.resourceGroup, demo.webSite))
      slots.push(slot.name ?? "");
    expect(slots).toEqual([`${demo.webSite}/staging`]);
    const slot = await web.webApps.getSlot(demo.resourceGroup, demo.webSite, "staging");
    expect(slot.type).toBe("Microsoft.Web/sites/slots");

    const plan = await web.appServicePlans.get(demo.resourceGroup, demo.plan);
    expect(plan.sku?.name).toBe("P1v3");
    expect(plan.sku?.capacity).toBe(1);
  });

  it("answers a missing site with ARM's ResourceNotFound", async () => {
    const error = await web.webApps.get(demo.resourceGroup, "no-such-site").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RestError);
    expect((error as RestError).statusCode).toBe(404);
    expect((error as RestError).code).toBe("ResourceNotFound");
    expect((error as RestError).message).toContain("Microsoft.Web/sites/no-such-site");

    const group = await web.webApps.get("rg-missing", demo.webSite).catch((e: unknown) => e);
    expect((group as RestError).code).toBe("ResourceGroupNotFound");
  });

  it("serves the SQL database with a plain ARM GET and list", async () => {
    const db = await call(estate, "GET", `${demoIds.database}?${apiVersion}`, { token });
    expect(db.status).toBe(200);
    expect(at(db.body, "type")).toBe("Microsoft.Sql/servers/databases");
    expect(at(db.body, "properties", "status")).toBe("Online");
    expect(at(db.body, "sku", "tier")).toBe("GeneralPurpose");
    expect(db.headers.get("x-ms-ratelimit-remaining-subscription-reads")).toMatch(/^\d+$/);

    const list = await call(estate, "GET", `${demoIds.sqlServer}/databases?${apiVersion}`, { token });
    expect(at(list.body, "value", 0, "name")).toBe(demo.database);

    const missingVersion = await call(estate, "GET", demoIds.database, { token });
    expect(missingVersion.status).toBe(400);
    expect(at(missingVersion.body, "error", "code")).toBe("MissingApiVersionParameter");
  });

  it("makes the database absent in the resource-missing scenario", async () => {
    estate.setScenario("resource-missing");
    try {
      const db = await call(estate, "GET", `${demoIds.database}?${apiVersion}`, { token });
      expect(db.status).toBe(404);
      expect(at(db.body, "error", "code")).toBe("ResourceNotFound");
      const list = await call(estate, "GET", `${demoIds.sqlServer}/databases?${apiVersion}`, { token });
      expect(at(list.body, "value")).toEqual([]);
    } finally {
      estate.setScenario("healthy");
    }
    const back = await call(estate, "GET", `${demoIds.database}?${apiVersion}`, { token });
    expect(back.status).toBe(200);
  });

  it("seeds a bench environment whose lists page with nextLink", async () => {
    const seed = estate.seedBench({ environment: "bench", webapps: 150, apis: 60, databases: 120 });
    expect(Object.keys(seed.components)).toHaveLength(330);
    expect(seed.components["web-0001"]).toMatchObject({ kind: "webapp" });
    expect(seed.components["api-0060"]).toMatchObject({ kind: "api" });
    expect(seed.components["db-0120"]).toMatchObject({ kind: "database" });

    let count = 0;
    let pages = 0;
    for await (const pageOfSites of web.webApps.listByResourceGroup(seed.resourceGroup).byPage()) {
      pages += 1;
      count += pageOfSites.length;
    }
    expect(count).toBe(210);
    expect(pages).toBe(3);

    const firstPage = await call(
      estate,
      "GET",
      `/subscriptions/${demo.subscriptionId}/resourceGroups/${seed.resourceGroup}/providers/Microsoft.Web/sites?${apiVersion}`,
      { token },
    );
    expect(String(at(firstPage.body, "nextLink"))).toContain("$skipToken=100");

    const all: string[] = [];
    for await (const site of web.webApps.list()) all.push(site.name ?? "");
    expect(all).toHaveLength(212);
  });

  it("lists the resource group's resources, including vaults and the workspace", async () => {
    const response = await call(estate, "GET", `${demoIds.resourceGroup}/resources?api-version=2021-04-01`, {
      token,
    });
    const types = (at(response.body, "value") as { type: string }[]).map((r) => r.type);
    expect(types).toEqual(
      expect.arrayContaining([
        "Microsoft.Web/serverfarms",
        "Microsoft.Web/sites",
        "Microsoft.Web/sites/slots",
        "Microsoft.Sql/servers",
        "Microsoft.Sql/servers/databases",
        "Microsoft.KeyVault/vaults",
        "Microsoft.RecoveryServices/vaults",
        "Microsoft.OperationalInsights/workspaces",
      ]),
    );
    const vault = await call(estate, "GET", `${demoIds.keyVault}?api-version=2023-07-01`, { token });
    expect(String(at(vault.body, "properties", "vaultUri"))).toMatch(
      /^https:\/\/127\.0\.0\.1:\d+\/_vaults\/kv-phoenix-prod\/$/,
    );
  });
});
