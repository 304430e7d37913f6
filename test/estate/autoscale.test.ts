import { MonitorClient } from "@azure/arm-monitor";
import type { ManagedIdentityCredential } from "@azure/identity";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Estate } from "../../local/estate/index.ts";
import { demo, demoIds } from "../../local/estate/index.ts";
import { at, call, rawToken, startTestEstate } from "./helpers.ts";

/**
 * Azure Monitor autoscale settings: none seeded, added by a test through the admin API or a PUT, read
 * with GET and the lists (the SDK's listByResourceGroup is how the app finds the setting that targets a
 * plan), written synchronously (201 created, 200 replaced) with Azure Monitor's 400s.
 */

const version = "api-version=2022-10-01";
const group = `/subscriptions/${demo.subscriptionId}/resourceGroups/${demo.resourceGroup}`;
const collection = `${group}/providers/Microsoft.Insights/autoscalesettings`;

function settingBody(capacity: { minimum: string; maximum: string; default: string }, enabled = true) {
  return {
    location: "West Europe",
    tags: {},
    properties: {
      enabled,
      targetResourceUri: demoIds.plan,
      profiles: [
        {
          name: "default",
          capacity,
          rules: [
            {
              metricTrigger: {
                metricName: "CpuPercentage",
                metricResourceUri: demoIds.plan,
                timeGrain: "PT1M",
                statistic: "Average",
                timeWindow: "PT10M",
                timeAggregation: "Average",
                operator: "GreaterThan",
                threshold: 70,
              },
              scaleAction: { direction: "Increase", type: "ChangeCount", value: "1", cooldown: "PT5M" },
            },
          ],
        },
      ],
    },
  };
}

describe("autoscale settings", () => {
  let estate: Estate;
  let credential: ManagedIdentityCredential;
  let close: () => Promise<void>;
  let token: string;

  beforeAll(async () => {
    ({ estate, credential, close } = await startTestEstate());
    token = await rawToken(estate);
  });
  afterAll(() => close());
  afterEach(() => {
    estate.clearAutoscaleSettings();
  });

  const get = (path: string) => call(estate, "GET", path, { token });

  it("seeds none: the list is empty and a GET is Resource Manager's 404", async () => {
    const list = await get(`${collection}?${version}`);
    expect(list.status).toBe(200);
    expect(list.body).toEqual({ value: [] });
    const single = await get(`${collection}/nothing?${version}`);
    expect(single.status).toBe(404);
    expect(at(single.body, "error", "code")).toBe("ResourceNotFound");
  });

  it("a test adds one through the admin API; GET, both lists and the SDK read it", async () => {
    const added = await call(estate, "POST", "/_estate/autoscale-settings", {
      body: { minimum: 2, maximum: 8 },
    });
    expect(added.status).toBe(201);
    const name = String(at(added.body, "name"));
    expect(name).toBe(`${demo.plan}-autoscale`);

    const single = await get(`${collection}/${name}?${version}`);
    expect(single.status).toBe(200);
    expect(single.body).toMatchObject({
      name,
      type: "Microsoft.Insights/autoscaleSettings",
      location: "West Europe",
      properties: {
        enabled: true,
        targetResourceUri: demoIds.plan,
        profiles: [{ capacity: { minimum: "2", maximum: "8", default: "2" } }],
      },
    });
    expect(String(at(single.body, "id")).toLowerCase()).toBe(`${collection}/${name}`.toLowerCase());

    const byGroup = await get(`${collection}?${version}`);
    expect((at(byGroup.body, "value") as unknown[]).length).toBe(1);
    const bySubscription = await get(
      `/subscriptions/${demo.subscriptionId}/providers/Microsoft.Insights/autoscalesettings?${version}`,
    );
    expect((at(bySubscription.body, "value") as unknown[]).length).toBe(1);

    const monitor = new MonitorClient(credential, demo.subscriptionId, {
      endpoint: estate.url,
      credentialScopes: [`${estate.url}/.default`],
    });
    const found = [];
    for await (const s of monitor.autoscaleSettings.listByResourceGroup(demo.resourceGroup)) found.push(s);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({
      name,
      enabled: true,
      targetResourceUri: demoIds.plan,
      profiles: [{ capacity: { minimum: "2", maximum: "8", default: "2" } }],
    });
  });

  it("the estate controls add a disabled one targeting another resource", () => {
    const setting = estate.addAutoscaleSetting({
      name: "api-scale",
      targetResourceUri: demoIds.apiSite,
      enabled: false,
    });
    expect(setting.properties).toMatchObject({ enabled: false, targetResourceUri: demoIds.apiSite });
    expect(() => estate.addAutoscaleSetting({ minimum: 5, default: 2 })).toThrow(/minimum ≤ default/);
  });

  it("PUT creates (201) and replaces (200) synchronously, as Azure Monitor does", async () => {
    const url = `${collection}/plan-scale?${version}`;
    const created = await call(estate, "PUT", url, {
      token,
      body: settingBody({ minimum: "1", maximum: "5", default: "1" }),
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      name: "plan-scale",
      properties: {
        name: "plan-scale",
        enabled: true,
        notifications: [],
        profiles: [{ capacity: { minimum: "1" } }],
      },
    });
    const replaced = await call(estate, "PUT", url, {
      token,
      body: settingBody({ minimum: "3", maximum: "5", default: "3" }),
    });
    expect(replaced.status).toBe(200);
    expect(at((await get(url)).body, "properties", "profiles", 0, "capacity")).toEqual({
      minimum: "3",
      maximum: "5",
      default: "3",
    });
  });

  it("the SDK raises a profile's minimum with createOrUpdate, as the app does before scaling out", async () => {
    estate.addAutoscaleSetting({ name: "plan-scale", minimum: 1, maximum: 10 });
    const monitor = new MonitorClient(credential, demo.subscriptionId, {
      endpoint: estate.url,
      credentialScopes: [`${estate.url}/.default`],
    });
    const setting = await monitor.autoscaleSettings.get(demo.resourceGroup, "plan-scale");
    const profiles = setting.profiles.map((p) => ({
      ...p,
      capacity: { ...p.capacity, minimum: "3", default: "3" },
    }));
    const written = await monitor.autoscaleSettings.createOrUpdate(demo.resourceGroup, "plan-scale", {
      ...setting,
      profiles,
    });
    expect(written.profiles[0]?.capacity).toEqual({ minimum: "3", maximum: "10", default: "3" });
    const read = await monitor.autoscaleSettings.get(demo.resourceGroup, "plan-scale");
    expect(read.profiles[0]?.capacity.minimum).toBe("3");
  });

  it("refuses a minimum above the default, and a body without its target, with Azure Monitor's 400s", async () => {
    const url = `${collection}/bad?${version}`;
    const above = await call(estate, "PUT", url, {
      token,
      body: settingBody({ minimum: "6", maximum: "10", default: "1" }),
    });
    expect(above.status).toBe(400);
    expect(above.body).toEqual({
      error: {
        code: "BadRequest",
        message:
          "The minimum capacity value '6' that you specified in the autoscale setting is greater than the default capacity of '1'.  Enter a minimum capacity less than '1'.",
      },
    });
    const body = settingBody({ minimum: "1", maximum: "2", default: "1" });
    const untargeted: Partial<typeof body.properties> = { ...body.properties };
    delete untargeted.targetResourceUri;
    const missing = await call(estate, "PUT", url, { token, body: { ...body, properties: untargeted } });
    expect(missing.status).toBe(400);
    expect(at(missing.body, "error", "code")).toBe("UnsupportedRequestContent");
    const noLocation = await call(estate, "PUT", url, { token, body: { properties: body.properties } });
    expect(at(noLocation.body, "error", "code")).toBe("LocationRequired");
    expect((await get(url)).status).toBe(404);
  });

  it("PATCH merges properties (200) and DELETE removes it (200, then 204)", async () => {
    estate.addAutoscaleSetting({ name: "plan-scale" });
    const url = `${collection}/plan-scale?${version}`;
    const patched = await call(estate, "PATCH", url, { token, body: { properties: { enabled: false } } });
    expect(patched.status).toBe(200);
    expect(at(patched.body, "properties", "enabled")).toBe(false);
    expect(at(patched.body, "properties", "targetResourceUri")).toBe(demoIds.plan);
    expect((await call(estate, "DELETE", url, { token })).status).toBe(200);
    expect((await call(estate, "DELETE", url, { token })).status).toBe(204);
    expect((await call(estate, "PATCH", url, { token, body: {} })).status).toBe(404);
  });
});
