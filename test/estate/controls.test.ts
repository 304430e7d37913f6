import { WebSiteManagementClient } from "@azure/arm-appservice";
import { RestError } from "@azure/core-rest-pipeline";
import type { ManagedIdentityCredential } from "@azure/identity";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Estate } from "../../local/estate/index.ts";
import { demo, scenarios } from "../../local/estate/index.ts";
import { at, call, startTestEstate } from "./helpers.ts";

describe("throttling, faults, health URLs and the admin API", () => {
  let estate: Estate;
  let credential: ManagedIdentityCredential;
  let close: () => Promise<void>;

  const client = (retries: { maxRetries?: number; retryDelayInMs?: number; maxRetryDelayInMs?: number }) =>
    new WebSiteManagementClient(credential, demo.subscriptionId, {
      endpoint: estate.url,
      credentials: { scopes: [`${estate.url}/.default`] },
      retryOptions: retries,
    });

  beforeAll(async () => {
    ({ estate, credential, close } = await startTestEstate());
  });
  afterAll(() => close());

  it("recovers from injected 503s and a reset connection with SDK retries", async () => {
    const web = client({ retryDelayInMs: 1, maxRetryDelayInMs: 10 });
    estate.resetStats();
    estate.addFault({
      pathPattern: "/sites/phoenix-api-prod$",
      method: "GET",
      status: 503,
      retryAfterSeconds: 0,
      count: 2,
    });
    const site = await web.webApps.get(demo.resourceGroup, demo.apiSite);
    expect(site.name).toBe(demo.apiSite);
    expect(estate.stats().faults).toBe(2);

    estate.addFault({ pathPattern: "/serverfarms/", status: "reset", count: 1 });
    const plan = await web.appServicePlans.get(demo.resourceGroup, demo.plan);
    expect(plan.name).toBe(demo.plan);
    expect(estate.stats().faults).toBe(3);

    estate.addFault({ pathPattern: "/serverfarms/", status: 500 });
    const failing = await client({ maxRetries: 0 })
      .appServicePlans.get(demo.resourceGroup, demo.plan)
      .catch((e: unknown) => e);
    expect((failing as RestError).statusCode).toBe(500);
    estate.clearFaults();
    expect((await web.appServicePlans.get(demo.resourceGroup, demo.plan)).name).toBe(demo.plan);
  });

  it("serves each site's health URL per scenario, without a token", async () => {
    estate.resetStats();
    const health = async (site: string) => (await call(estate, "GET", `/_sites/${site}/health`)).status;
    expect(await health(demo.webSite)).toBe(200);
    expect(await health(demo.apiSite)).toBe(200);
    expect(await health("no-such-site")).toBe(404);

    estate.setScenario("webapp-errors");
    expect(await health(demo.webSite)).toBe(503);
    expect(await health(demo.apiSite)).toBe(200);

    estate.setScenario("api-slow");
    expect(await health(demo.apiSite)).toBe(200);
    estate.setScenario("healthy");

    expect(estate.stats().byRoute["site-health"]).toBe(6);
  });

  it("is controlled over HTTP through /_estate without being counted", async () => {
    await call(estate, "POST", "/_estate/stats/reset");
    const list = await call(estate, "GET", "/_estate/scenarios");
    expect(at(list.body, "current")).toBe("healthy");
    expect(Object.keys(at(list.body, "scenarios") as object).sort()).toEqual(Object.keys(scenarios).sort());

    expect((await call(estate, "POST", "/_estate/scenario", { body: { name: "nope" } })).status).toBe(400);
    const set = await call(estate, "POST", "/_estate/scenario", { body: { name: "db-pool-exhausted" } });
    expect(at(set.body, "current")).toBe("db-pool-exhausted");
    expect(estate.scenario).toBe("db-pool-exhausted");
    await call(estate, "POST", "/_estate/scenario", { body: { name: "healthy" } });

    expect(
      (await call(estate, "POST", "/_estate/latency", { body: { ms: 5, pathPattern: "^/_sites/" } })).status,
    ).toBe(200);
    expect((await call(estate, "POST", "/_estate/latency", { body: { ms: -1 } })).status).toBe(400);
    expect((await call(estate, "GET", `/_sites/${demo.webSite}/health`)).status).toBe(200);
    await call(estate, "POST", "/_estate/latency", { body: { ms: 0, pathPattern: "^/_sites/" } });

    const fault = await call(estate, "POST", "/_estate/faults", {
      body: { pathPattern: "^/_sites/", status: 429, retryAfterSeconds: 2, count: 1 },
    });
    expect(fault.status).toBe(200);
    const throttled = await call(estate, "GET", `/_sites/${demo.webSite}/health`);
    expect(throttled.status).toBe(429);
    expect(throttled.headers.get("retry-after")).toBe("2");
    expect((await call(estate, "GET", `/_sites/${demo.webSite}/health`)).status).toBe(200);
    expect(
      (await call(estate, "POST", "/_estate/faults", { body: { pathPattern: "(", status: 503 } })).status,
    ).toBe(400);
    expect((await call(estate, "DELETE", "/_estate/faults")).status).toBe(200);

    const stats = await call(estate, "GET", "/_estate/stats");
    // Admin calls are not counted, so no write shows either.
    expect(stats.body).toEqual({
      calls: 3,
      throttled: 0,
      faults: 1,
      byRoute: { "site-health": 3 },
      writes: [],
    });

    const seed = await call(estate, "POST", "/_estate/bench-seed", {
      body: { environment: "bench-http", webapps: 2, apis: 1, databases: 1 },
    });
    expect(seed.status).toBe(200);
    expect(Object.keys(at(seed.body, "components") as object).sort()).toEqual([
      "api-0001",
      "db-0001",
      "web-0001",
      "web-0002",
    ]);
    const webHealth = String(at(seed.body, "components", "web-0001", "healthUrl"));
    expect((await fetch(webHealth)).status).toBe(200);
    expect(
      (
        await call(estate, "POST", "/_estate/bench-seed", {
          body: { environment: "prod", webapps: 1, apis: 0, databases: 0 },
        })
      ).status,
    ).toBe(400);
  });

  // Last: it empties the read bucket, which would slow the tests after it (they would wait out 429s).
  it("throttles a burst of ARM reads with 429 and Retry-After", async () => {
    const web = client({ maxRetries: 0 });
    estate.resetStats();
    // Quick sequential reads until the first 429: the bucket holds 250 and refills 25/s, so the
    // first 250 pass whatever the speed, and a 429 comes long before 600 unless reads take 20 ms each.
    let succeeded = 0;
    let throttled: RestError | undefined;
    for (let i = 0; i < 600 && !throttled; i++) {
      const outcome = await web.webApps.get(demo.resourceGroup, demo.webSite).then(
        () => undefined,
        (error: unknown) => error,
      );
      if (outcome === undefined) succeeded += 1;
      else if (outcome instanceof RestError && outcome.statusCode === 429) throttled = outcome;
      else throw outcome instanceof Error ? outcome : new Error("unexpected outcome");
    }
    expect(throttled).toBeDefined();
    expect(succeeded).toBeGreaterThanOrEqual(250);
    const retryAfter = Number(throttled?.response?.headers.get("retry-after"));
    expect(Number.isInteger(retryAfter) && retryAfter >= 1).toBe(true);
    expect(throttled?.code).toBe("TooManyRequests");
    expect(estate.stats().throttled).toBe(1);
    expect(estate.stats().byRoute["arm.get:microsoft.web/sites"]).toBe(succeeded + 1);
  });
});
