import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalStack } from "../../local/stack.ts";
import type { ChangeRecord } from "../../src/shared/change-control/model.ts";
import { type Runtime, createRuntime } from "../../src/shared/composition/runtime.ts";
import type { OpsPolicyInput } from "../../src/shared/config/policy.ts";
import {
  api,
  demo,
  eventually,
  incidentWithHistory,
  listIncidents,
  metricAlert,
  postAlert,
  tokenFor,
} from "../support/incidents.ts";
import { apiSettings, runCli, startTestStack } from "../support/stack.ts";

/**
 * Emergency scaling end to end through the local host: the guide's high-cpu-usage alert on the demo
 * plan (scenario cpu-spike) scales it up through change control, the incident lists the change, the
 * resolution scales it back once the stabilisation period (zero here) is over.
 */
let stack: LocalStack;
let runtime: Runtime;
let operator: string;
let reader: string;

beforeAll(async () => {
  stack = await startTestStack({
    scenario: "cpu-spike",
    policy: (policy) => {
      const edited: OpsPolicyInput = structuredClone(policy);
      edited.changeControl = { cooldownMinutes: 0, maxChangesPerHour: 20 };
      edited.alertRules = (edited.alertRules ?? []).map((rule) =>
        rule.scale ? { ...rule, scale: { ...rule.scale, stabilisationMinutes: 0 } } : rule,
      );
      return edited;
    },
  });
  process.env.IDENTITY_ENDPOINT = stack.settings.IDENTITY_ENDPOINT;
  process.env.IDENTITY_HEADER = stack.settings.IDENTITY_HEADER;
  runtime = createRuntime({ env: stack.settings });
  [operator, reader] = await Promise.all([tokenFor(stack, "operator"), tokenFor(stack, "reader")]);
}, 120_000);
afterAll(async () => {
  await stack?.close();
});

async function planSku(): Promise<string | undefined> {
  return (await runtime.ports.plans.get(demo.plan))?.skuName.toUpperCase();
}

async function changes(): Promise<ChangeRecord[]> {
  const response = await api(stack, reader, "changes?limit=100");
  expect(response.status).toBe(200);
  return ((await response.json()) as { changes: ChangeRecord[] }).changes;
}

async function estateWrites(): Promise<number> {
  const response = await fetch(`${stack.estate.url}/_estate/stats`);
  const stats = (await response.json()) as { byRoute: Record<string, number> };
  return Object.entries(stats.byRoute)
    .filter(([route]) => /\.(put|patch|post|delete):.*(serverfarms|autoscalesettings)/i.test(route))
    .reduce((sum, [, count]) => sum + count, 0);
}

describe("phoenix-ops scale (on demand, the guide's flags)", () => {
  it("refuses an Ops.Reader (403) and changes nothing", async () => {
    const response = await api(stack, reader, "scale", {
      method: "POST",
      body: JSON.stringify({ name: "phoenix-web-prod", resourceGroup: "rg-phoenix-prod", planSize: "P2V3" }),
    });
    expect(response.status).toBe(403);
    expect(await changes()).toEqual([]);
  });

  it("rehearses with --dry-run: the plan is printed, the estate sees no write", async () => {
    const writes = await estateWrites();
    const result = await runCli(
      [
        "scale",
        "--name",
        "phoenix-web-prod",
        "--resource-group",
        "rg-phoenix-prod",
        "--plan-size",
        "P2V3",
        "--dry-run",
      ],
      apiSettings(stack),
    );
    expect(result.stderr).toBe(
      "Scale a web app's App Service plan up (--plan-size) and/or out (--instances), through change control…\n",
    );
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/CHG-\S+ {2}DRY-RUN \(dry run\)/);
    expect(result.stdout).toContain("asp-phoenix-prod: P1V3 ×1 → P2V3 ×1");
    expect(await estateWrites()).toBe(writes);
    expect(await planSku()).toBe("P1V3");
  });

  it("answers a SKU the policy does not allow with the usage code, naming what it allows", async () => {
    const result = await runCli(
      ["scale", "--name", "phoenix-web-prod", "--resource-group", "rg-phoenix-prod", "--plan-size", "P2V2"],
      apiSettings(stack),
    );
    expect(result.code).toBe(64);
    expect(result.stderr).toContain("P2V2 is not allowed by the policy: it allows P1V3, P2V3, P3V3");
  });
});

describe("alert-driven scaling: high-cpu-usage on the plan", () => {
  it("scales up, lists the change on the incident, and scales back when the alert resolves", async () => {
    expect(await planSku()).toBe("P1V3");
    const fired = await postAlert(
      stack,
      metricAlert({ rule: "high-cpu-usage", alertId: "cpu-e2e-1", target: demo.plan }),
    );
    expect(fired.status).toBe(202);

    const up = await eventually(
      async () => (await changes()).find((c) => c.procedure === "scaling alert" && c.status === "succeeded"),
      "the scale-up",
    );
    expect(up).toMatchObject({
      resourceId: demo.plan,
      summary: "asp-phoenix-prod: P1V3 ×1 → P2V3 ×1",
      requestedBy: { kind: "alert", name: "high-cpu-usage" },
    });
    expect(await planSku()).toBe("P2V3");
    const incidentId = up.requestedBy.incidentId ?? "";
    const { history } = await incidentWithHistory(stack, operator, incidentId);
    expect(history).toContainEqual(
      expect.objectContaining({
        type: "scaled",
        detail: `${up.id} succeeded: asp-phoenix-prod: P1V3 ×1 → P2V3 ×1`,
      }),
    );

    // The estate's CPU falls on the bigger plan; the action group sends the resolution.
    const resolved = await postAlert(
      stack,
      metricAlert({
        rule: "high-cpu-usage",
        alertId: "cpu-e2e-1",
        target: demo.plan,
        condition: "Resolved",
        value: 41,
      }),
    );
    expect(resolved.status).toBe(202);
    const back = await eventually(
      async () => (await changes()).find((c) => c.procedure === "scaling back" && c.status === "succeeded"),
      "the scale-back",
    );
    expect(back).toMatchObject({
      summary: "asp-phoenix-prod: P2V3 ×1 → P1V3 ×1",
      requestedBy: { kind: "system", name: "scale-back", incidentId },
    });
    expect(await planSku()).toBe("P1V3");
    const incident = (await listIncidents(stack, operator)).find((i) => i.id === incidentId);
    expect(incident?.status).toBe("resolved");
    const after = await incidentWithHistory(stack, operator, incidentId);
    expect(after.history.map((e) => e.detail)).toContainEqual(
      `${back.id} succeeded: asp-phoenix-prod: P2V3 ×1 → P1V3 ×1`,
    );
  }, 90_000);

  it("shows every step of a change in the audit trail, from the CLI", async () => {
    const scaleUp = (await changes()).find((c) => c.procedure === "scaling alert");
    const result = await runCli(
      ["changes", "show", scaleUp?.id ?? "", "--output", "json"],
      apiSettings(stack),
    );
    expect(result.code).toBe(0);
    const body = JSON.parse(result.stdout) as { steps: { step: string }[] };
    expect(body.steps.map((s) => s.step)).toEqual(["requested", "started", "succeeded"]);
  });
});

describe("phoenix-ops scale for real", () => {
  it("scales out and up with the guide's flags, prints the outcome with the change id", async () => {
    const writes = await estateWrites();
    const result = await runCli(
      [
        "scale",
        "--name",
        "phoenix-web-prod",
        "--resource-group",
        "rg-phoenix-prod",
        "--plan-size",
        "P2V3",
        "--instances",
        "2",
        "--reason",
        "load test tonight",
      ],
      apiSettings(stack),
    );
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/CHG-\S+ {2}SUCCEEDED/);
    expect(result.stdout).toContain("asp-phoenix-prod: P1V3 ×1 → P2V3 ×2");
    expect(result.stdout).toContain("Reason:     load test tonight");
    expect(await estateWrites()).toBe(writes + 1);
    const plan = await runtime.ports.plans.get(demo.plan);
    expect(plan).toMatchObject({ capacity: 2 });
    expect(plan?.skuName.toUpperCase()).toBe("P2V3");
  });
});
