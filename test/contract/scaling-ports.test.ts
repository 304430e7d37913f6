import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { LocalStack } from "../../local/stack.ts";
import { ChangeToken } from "../../src/shared/change-control/change-token.ts";
import { type Runtime, createRuntime } from "../../src/shared/composition/runtime.ts";
import { isOpsError } from "../../src/shared/errors.ts";
import type { AppServicePlans } from "../../src/shared/ports/app-service-plans.ts";
import type { AutoscaleSettings } from "../../src/shared/ports/autoscale-settings.ts";
import { FakeAutoscale, FakePlans } from "../fakes/scaling.ts";
import { demo } from "../support/incidents.ts";
import { startTestStack } from "../support/stack.ts";

/**
 * The scaling ports against their fakes and their Resource Manager adapters on the local estate: the
 * fakes the scaling tests trust answer as the adapters do, reads and token-gated writes alike.
 */
let stack: LocalStack;
let runtime: Runtime;
const sub = "6f1c2d3e-4a5b-4c6d-8e9f-0a1b2c3d4e5f";
const rg = "rg-phoenix-prod";
const otherPlan = `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.Web/serverfarms/asp-other`;

beforeAll(async () => {
  stack = await startTestStack({ withHost: false });
  process.env.IDENTITY_ENDPOINT = stack.settings.IDENTITY_ENDPOINT;
  process.env.IDENTITY_HEADER = stack.settings.IDENTITY_HEADER;
  runtime = createRuntime({ env: stack.settings });
}, 60_000);
afterAll(async () => {
  await stack?.close();
});

function seededFakePlans(): FakePlans {
  const fake = new FakePlans();
  fake.addPlan({ id: demo.plan, name: "asp-phoenix-prod", skuName: "P1v3", tier: "PremiumV3", capacity: 1 });
  fake.addSite(sub, rg, "phoenix-web-prod", demo.plan);
  return fake;
}

const planPorts: [string, () => AppServicePlans][] = [
  ["in-memory fake", seededFakePlans],
  ["Resource Manager adapter on the local estate", () => runtime.ports.plans],
];

describe.each(planPorts)("AppServicePlans contract: %s", (_name, make) => {
  let plans: AppServicePlans;
  beforeEach(() => {
    plans = make();
  });

  it("finds a web app's plan, and answers undefined for an app that does not exist", async () => {
    const site = await plans.siteOf(sub, rg, "phoenix-web-prod");
    expect(site?.siteName).toBe("phoenix-web-prod");
    expect(site?.planId.toLowerCase()).toBe(demo.plan.toLowerCase());
    expect(await plans.siteOf(sub, rg, "no-such-app")).toBeUndefined();
  });

  it("reads a plan's SKU, tier and instances, and answers undefined for a plan that does not exist", async () => {
    expect(await plans.get(demo.plan)).toMatchObject({
      name: "asp-phoenix-prod",
      skuName: "P1v3",
      tier: "PremiumV3",
      capacity: 1,
    });
    expect(await plans.get(otherPlan)).toBeUndefined();
  });

  it("sets the SKU and instance count with a token for the plan, visible in the next read", async () => {
    await plans.update(ChangeToken.issue("CHG-contract-1", demo.plan), demo.plan, {
      skuName: "P2V3",
      capacity: 2,
    });
    const after = await plans.get(demo.plan);
    expect(after?.skuName.toUpperCase()).toBe("P2V3");
    expect(after).toMatchObject({ tier: "PremiumV3", capacity: 2 });
    await plans.update(ChangeToken.issue("CHG-contract-2", demo.plan), demo.plan, {
      skuName: "P1V3",
      capacity: 1,
    });
    expect((await plans.get(demo.plan))?.capacity).toBe(1);
  });

  it("refuses a token issued for another resource, and a SKU App Service does not have", async () => {
    await expect(
      plans.update(ChangeToken.issue("CHG-contract-3", otherPlan), demo.plan, {
        skuName: "P2V3",
        capacity: 1,
      }),
    ).rejects.toThrow("may change");
    const error = await plans
      .update(ChangeToken.issue("CHG-contract-4", demo.plan), demo.plan, { skuName: "P9V9", capacity: 1 })
      .catch((e: unknown) => e);
    expect(isOpsError(error) && error.code).toBe("BadRequest");
    expect((await plans.get(demo.plan))?.skuName.toUpperCase()).toBe("P1V3");
  });
});

const settingId = `/subscriptions/${sub}/resourceGroups/${rg}/providers/microsoft.insights/autoscalesettings/asp-phoenix-prod-autoscale`;

const autoscalePorts: [string, () => Promise<AutoscaleSettings>][] = [
  [
    "in-memory fake",
    async () => {
      const fake = new FakeAutoscale();
      fake.add({
        settingId,
        name: "asp-phoenix-prod-autoscale",
        enabled: true,
        minimum: 1,
        maximum: 3,
        target: demo.plan,
      });
      return fake;
    },
  ],
  [
    "Resource Manager adapter on the local estate",
    async () => {
      const response = await fetch(`${stack.estate.url}/_estate/autoscale-settings`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          name: "asp-phoenix-prod-autoscale",
          targetResourceUri: demo.plan,
          minimum: 1,
          maximum: 3,
          default: 1,
        }),
      });
      expect(response.status).toBe(201);
      return runtime.ports.autoscale;
    },
  ],
];

describe.each(autoscalePorts)("AutoscaleSettings contract: %s", (_name, make) => {
  it("finds the setting that targets a plan, and none for a plan without one", async () => {
    const autoscale = await make();
    const found = await autoscale.forTarget(demo.plan);
    expect(found).toMatchObject({
      name: "asp-phoenix-prod-autoscale",
      enabled: true,
      minimum: 1,
      maximum: 3,
    });
    expect(found?.settingId.toLowerCase()).toBe(settingId.toLowerCase());
    expect(await autoscale.forTarget(otherPlan)).toBeUndefined();
  });

  it("raises the minimum (and a maximum below it) with a token for the plan it scales", async () => {
    const autoscale = await make();
    const found = await autoscale.forTarget(demo.plan);
    await autoscale.setMinimum(ChangeToken.issue("CHG-contract-5", demo.plan), found!.settingId, 4);
    expect(await autoscale.forTarget(demo.plan)).toMatchObject({ minimum: 4, maximum: 4 });
    await expect(
      autoscale.setMinimum(ChangeToken.issue("CHG-contract-6", otherPlan), found!.settingId, 2),
    ).rejects.toThrow("may change");
  });
});

describe("AppServicePlans adapter: Resource Manager's refusals", () => {
  it("fails a write while another operation on the plan is in flight (409), and the first one still lands", async () => {
    const plans = runtime.ports.plans;
    const results = await Promise.allSettled([
      plans.update(ChangeToken.issue("CHG-contract-7", demo.plan), demo.plan, {
        skuName: "P2V3",
        capacity: 1,
      }),
      new Promise((r) => setTimeout(r, 200)).then(() =>
        plans.update(ChangeToken.issue("CHG-contract-8", demo.plan), demo.plan, {
          skuName: "P3V3",
          capacity: 1,
        }),
      ),
    ]);
    expect(results[0].status).toBe("fulfilled");
    expect(results[1].status).toBe("rejected");
    const reason = results[1].status === "rejected" ? (results[1].reason as unknown) : undefined;
    expect(isOpsError(reason) && reason.details.statusCode).toBe(409);
    expect((await plans.get(demo.plan))?.skuName.toUpperCase()).toBe("P2V3");
    await plans.update(ChangeToken.issue("CHG-contract-9", demo.plan), demo.plan, {
      skuName: "P1V3",
      capacity: 1,
    });
  });
});
