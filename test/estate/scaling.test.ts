import { WebSiteManagementClient } from "@azure/arm-appservice";
import type { ManagedIdentityCredential } from "@azure/identity";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Estate } from "../../local/estate/index.ts";
import { demo, demoIds } from "../../local/estate/index.ts";
import { deriveSku } from "../../local/estate/model/plan-skus.ts";
import { at, call, rawToken, startTestEstate } from "./helpers.ts";

/**
 * Emergency scaling's Resource Manager side: a plan's PUT as a long-running operation (202, status
 * InProgress → Succeeded, the new SKU in reads only afterwards), the Web provider's 409 while one is in
 * flight, its 400 for an unknown SKU, the SKU derived from its name as the provider does, and PATCH.
 */

const version = "api-version=2022-03-01";
const planUrl = `${demoIds.plan}?${version}`;

describe("SKU derivation", () => {
  const table: [string, string, string, string, string][] = [
    // requested, name, tier, size, family
    ["P2V2", "P2v2", "PremiumV2", "P2v2", "Pv2"],
    ["p1v2", "P1v2", "PremiumV2", "P1v2", "Pv2"],
    ["P1V3", "P1v3", "PremiumV3", "P1v3", "Pv3"],
    ["P0V3", "P0v3", "PremiumV3", "P0v3", "Pv3"],
    ["P1MV3", "P1mv3", "PremiumMV3", "P1mv3", "Pmv3"],
    ["S1", "S1", "Standard", "S1", "S"],
    ["B1", "B1", "Basic", "B1", "B"],
    ["P1", "P1", "Premium", "P1", "P"],
    ["I1V2", "I1v2", "IsolatedV2", "I1v2", "Iv2"],
    ["F1", "F1", "Free", "F1", "F"],
    ["FREE", "F1", "Free", "F1", "F"],
    ["SHARED", "D1", "Shared", "D1", "D"],
    ["EP1", "EP1", "ElasticPremium", "EP1", "EP"],
  ];
  it.each(table)("%s → %s / %s / %s / %s", (requested, name, tier, size, family) => {
    expect(deriveSku(requested)).toMatchObject({ name, tier, size, family });
  });

  it.each(["P9V9", "P4V2", "S4", "X1", "", "P2V2 "])("has no SKU named %j (trailing space aside)", (n) => {
    if (n.trim() === "P2V2") expect(deriveSku(n)?.name).toBe("P2v2");
    else expect(deriveSku(n)).toBeUndefined();
  });
});

describe("App Service plan writes", () => {
  let estate: Estate;
  let credential: ManagedIdentityCredential;
  let close: () => Promise<void>;
  let token: string;

  beforeAll(async () => {
    ({ estate, credential, close } = await startTestEstate());
    token = await rawToken(estate);
  });
  afterAll(() => close());

  const get = (path: string) => call(estate, "GET", path.replace(estate.url, ""), { token });
  const plan = async () => (await get(planUrl)).body as Record<string, unknown>;

  async function waitFor(asyncOperation: string, wanted = "Succeeded"): Promise<void> {
    const deadline = Date.now() + 5000;
    while (at((await get(asyncOperation)).body, "status") !== wanted) {
      if (Date.now() > deadline) throw new Error(`the operation did not reach ${wanted}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async function put(body: unknown) {
    return call(estate, "PUT", planUrl, { token, body });
  }

  /** What az appservice plan update --sku sends: the new name with the old tier's size and family. */
  function azBody(name: string, capacity = 1): Record<string, unknown> {
    return {
      kind: "app",
      location: "West Europe",
      sku: { name, tier: name.toUpperCase(), size: "P1v3", family: "Pv3", capacity },
      properties: { isSpot: false, reserved: false, targetWorkerCount: 0, targetWorkerSizeId: 0 },
    };
  }

  async function scaleTo(name: string, capacity = 1): Promise<void> {
    const response = await put(azBody(name, capacity));
    expect(response.status, JSON.stringify(response.body)).toBe(202);
    await waitFor(response.headers.get("azure-asyncoperation") ?? "");
  }

  afterEach(async () => {
    // Every test starts from the seeded P1v3 × 1.
    const sku = (await plan())["sku"] as { name: string; capacity: number };
    if (sku.name !== "P1v3" || sku.capacity !== 1) await scaleTo("P1v3", 1);
  });

  it("PUT runs as a long-running operation; the new SKU shows in reads only once it has succeeded", async () => {
    const response = await put(azBody("P2V2"));
    expect(response.status).toBe(202);
    const asyncOperation = response.headers.get("azure-asyncoperation") ?? "";
    const location = response.headers.get("location") ?? "";
    expect(asyncOperation).toMatch(
      /\/subscriptions\/[^/]+\/providers\/Microsoft\.Web\/locations\/westeurope\/operations\/[0-9a-f-]{36}\?api-version=2022-03-01$/,
    );
    expect(location).toMatch(/\/operationResults\/[0-9a-f-]{36}\?api-version=2022-03-01$/);
    expect(response.headers.get("retry-after")).toBe("1");
    // The 202 carries the plan as it still is, as in the official example.
    expect(at(response.body, "sku", "name")).toBe("P1v3");

    const running = await get(asyncOperation);
    expect(at(running.body, "status")).toBe("InProgress");
    // The status resource says when to poll again while it runs (az's poller waits 30 s otherwise).
    expect(running.headers.get("retry-after")).toBe("1");
    expect((await plan())["sku"]).toMatchObject({ name: "P1v3", tier: "PremiumV3" });
    expect((await get(location)).status).toBe(202);

    await waitFor(asyncOperation);
    expect((await plan())["sku"]).toEqual({
      name: "P2v2",
      tier: "PremiumV2",
      size: "P2v2",
      family: "Pv2",
      capacity: 1,
    });
    const result = await get(location);
    expect(result.status).toBe(200);
    expect(at(result.body, "sku", "name")).toBe("P2v2");
  });

  it("shows the new SKU in every read of the plan: GET, the lists and the generic resource list", async () => {
    await scaleTo("P3V3", 3);
    const group = `/subscriptions/${demo.subscriptionId}/resourceGroups/${demo.resourceGroup}`;
    const inList = (body: unknown) =>
      ((at(body, "value") as { id: string; sku?: unknown }[]) ?? []).find(
        (r) => r.id.toLowerCase() === demoIds.plan.toLowerCase(),
      )?.sku;
    const expected = { name: "P3v3", tier: "PremiumV3", size: "P3v3", family: "Pv3", capacity: 3 };
    expect((await plan())["sku"]).toEqual(expected);
    expect(at(await plan(), "properties", "numberOfWorkers")).toBe(3);
    expect(inList((await get(`${group}/providers/Microsoft.Web/serverfarms?${version}`)).body)).toEqual(
      expected,
    );
    expect(
      inList(
        (await get(`/subscriptions/${demo.subscriptionId}/providers/Microsoft.Web/serverfarms?${version}`))
          .body,
      ),
    ).toEqual(expected);
    expect(inList((await get(`${group}/resources?api-version=2021-04-01`)).body)).toEqual(expected);
  });

  it("follows an instance-count change in sku.capacity and properties.numberOfWorkers", async () => {
    await scaleTo("P1V3", 4);
    const body = await plan();
    expect(body["sku"]).toMatchObject({ name: "P1v3", capacity: 4 });
    expect(at(body, "properties", "numberOfWorkers")).toBe(4);
  });

  it("answers a second write while one is in flight with the Web provider's 409 Conflict", async () => {
    const first = await put(azBody("P2V2"));
    expect(first.status).toBe(202);
    const second = await put(azBody("P3V2"));
    expect(second.status).toBe(409);
    expect(second.body).toMatchObject({
      Code: "Conflict",
      Message: expect.stringMatching(
        /^Cannot modify this web hosting plan because another operation is in progress\. Details: Id: [0-9a-f-]{36}, OperationName: Update, /,
      ) as unknown,
      Details: [
        { Message: expect.any(String) as unknown },
        { Code: "Conflict" },
        { ErrorEntity: { ExtendedCode: "59205", Code: "Conflict" } },
      ],
    });
    // The conflict names the operation in flight.
    const operationId = /operations\/([^?]+)/.exec(first.headers.get("azure-asyncoperation") ?? "")?.[1];
    expect(String(at(second.body, "Message"))).toContain(`Id: ${operationId}`);
    const patch = await call(estate, "PATCH", planUrl, { token, body: { tags: { a: "b" } } });
    expect(patch.status).toBe(409);
    await waitFor(first.headers.get("azure-asyncoperation") ?? "");
    expect(at(await plan(), "sku", "name")).toBe("P2v2");
  });

  it("answers an unknown SKU with 400 BadRequest, as the Web provider words it, and changes nothing", async () => {
    const response = await put(azBody("P9V9"));
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({
      Code: "BadRequest",
      Message: "The parameter SKU.Name has an invalid value.",
      Details: [
        { Message: "The parameter SKU.Name has an invalid value." },
        { Code: "BadRequest" },
        {
          ErrorEntity: {
            ExtendedCode: "01007",
            MessageTemplate: "The parameter {0} has an invalid value.",
            Parameters: ["SKU.Name"],
          },
        },
      ],
    });
    expect(at(await plan(), "sku", "name")).toBe("P1v3");
  });

  it("answers more instances than the tier allows with 400", async () => {
    const response = await put(azBody("B1", 4));
    expect(response.status).toBe(400);
    expect(at(response.body, "Message")).toBe("The parameter Sku.Capacity has an invalid value.");
  });

  it("answers a malformed body with 400 InvalidRequestContent", async () => {
    const notJson = await fetch(`${estate.url}${planUrl}`, {
      method: "PUT",
      headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
      body: '{"sku": {"name": "P2V2"',
    });
    expect(notJson.status).toBe(400);
    expect(at(await notJson.json(), "error", "code")).toBe("InvalidRequestContent");
    for (const body of [[1, 2], "P2V2", { sku: { name: 42 } }, { sku: { name: "P2V2", capacity: "two" } }]) {
      const response = await put(body);
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect(at(response.body, "error", "code")).toBe("InvalidRequestContent");
    }
  });

  it("refuses a write without api-version, or in a resource group that does not exist", async () => {
    expect((await call(estate, "PUT", demoIds.plan, { token, body: azBody("P2V2") })).status).toBe(400);
    const elsewhere = demoIds.plan.replace(demo.resourceGroup, "rg-nowhere");
    const response = await call(estate, "PUT", `${elsewhere}?${version}`, { token, body: azBody("P2V2") });
    expect(response.status).toBe(404);
    expect(at(response.body, "error", "code")).toBe("ResourceGroupNotFound");
  });

  it("PATCH (AppServicePlans_Update) changes tags as a long-running operation and leaves the SKU alone", async () => {
    const response = await call(estate, "PATCH", planUrl, {
      token,
      body: { kind: "app", tags: { owner: "ops" }, sku: { name: "S1" }, properties: {} },
    });
    expect(response.status).toBe(202);
    await waitFor(response.headers.get("azure-asyncoperation") ?? "");
    const body = await plan();
    expect(body["tags"]).toEqual({ owner: "ops" });
    expect(at(body, "sku", "name")).toBe("P1v3");
  });

  it("the SDK's beginCreateOrUpdateAndWait changes the SKU, as the app's adapter calls it", async () => {
    const web = new WebSiteManagementClient(credential, demo.subscriptionId, {
      endpoint: estate.url,
      credentials: { scopes: [`${estate.url}/.default`] },
    });
    const current = await web.appServicePlans.get(demo.resourceGroup, demo.plan);
    const updated = await web.appServicePlans.beginCreateOrUpdateAndWait(
      demo.resourceGroup,
      demo.plan,
      { ...current, sku: { name: "P2V2", tier: "PremiumV2", capacity: 2 } },
      { updateIntervalInMs: 100 },
    );
    expect(updated.sku).toMatchObject({ name: "P2v2", tier: "PremiumV2", capacity: 2 });
    expect(updated.numberOfWorkers).toBe(2);
    const read = await web.appServicePlans.get(demo.resourceGroup, demo.plan);
    expect(read.sku).toMatchObject({ name: "P2v2", family: "Pv2", capacity: 2 });
  });
});
