import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AzResult, type AzTarget, findAz, prepareAz, runAz } from "../../local/az.ts";
import type { Estate } from "../../local/estate/index.ts";
import { demo, demoIds, startEstate } from "../../local/estate/index.ts";

/**
 * Emergency scaling as the guide's operator would do it by hand, with Debian's azure-cli (2.45)
 * against an estate of its own (the plan changes here): `az appservice plan update --sku P2V2` runs
 * the plan's PUT as a long-running operation to the end, and `az appservice plan show` then reports
 * the new size. The guide's own `az webapp scale --plan-size P2V2` does not exist in az (see
 * guide-commands.az.ts).
 */

const az = findAz();
const rg = demo.resourceGroup;

function parsed<T>(result: AzResult): T {
  if (result.code !== 0) throw new Error(`az failed (exit ${result.code}): ${result.stderr}`);
  return JSON.parse(result.stdout) as T;
}

interface AzPlan {
  id: string;
  numberOfWorkers: number;
  sku: { name: string; tier: string; size: string; family: string; capacity: number };
}

describe.skipIf(!az)("emergency scaling with az against the local estate", () => {
  let estate: Estate;
  let target: AzTarget;
  let root: string;
  const run = (...args: string[]) => runAz(az ?? "az", target, args);

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "phoenix-az-scaling-"));
    estate = await startEstate({ outboxDir: join(root, "outbox"), scenario: "cpu-spike" });
    target = {
      estateUrl: estate.url,
      identityEndpoint: estate.identityEndpoint,
      identityHeader: estate.identityHeader,
      caPath: process.env["NODE_EXTRA_CA_CERTS"] ?? "",
      configDir: join(root, "az"),
    };
    await prepareAz(az ?? "az", target);
  });

  afterAll(async () => {
    await estate?.close();
    if (root) await rm(root, { recursive: true, force: true });
  });

  it("az appservice plan update --sku P2V2 succeeds, and az appservice plan show reports P2V2 / PremiumV2", async () => {
    const before = parsed<AzPlan>(
      await run("appservice", "plan", "show", "--name", demo.plan, "--resource-group", rg, "-o", "json"),
    );
    expect(before.sku).toMatchObject({ name: "P1v3", tier: "PremiumV3" });

    const updated = parsed<AzPlan>(
      await run(
        "appservice",
        "plan",
        "update",
        "--name",
        demo.plan,
        "--resource-group",
        rg,
        "--sku",
        "P2V2",
        "-o",
        "json",
      ),
    );
    expect(updated.sku.name.toUpperCase()).toBe("P2V2");
    // az waited for the operation: it polled the status and read the plan back.
    const routes = estate.stats().byRoute;
    expect(routes["arm.put:microsoft.web/serverfarms"]).toBe(1);
    expect(routes["arm.operation-status"]).toBeGreaterThanOrEqual(1);

    const after = parsed<AzPlan>(
      await run("appservice", "plan", "show", "--name", demo.plan, "--resource-group", rg, "-o", "json"),
    );
    expect(after.id).toBe(demoIds.plan);
    // Azure reports the name in its own case (P2v2), as it does for the seeded P1v3.
    expect(after.sku.name.toUpperCase()).toBe("P2V2");
    expect(after.sku).toMatchObject({ tier: "PremiumV2", size: "P2v2", family: "Pv2", capacity: 1 });
  });

  it("az appservice plan update --number-of-workers 3 scales out, and the plan's CPU falls below the alert threshold", async () => {
    const updated = parsed<AzPlan>(
      await run(
        "appservice",
        "plan",
        "update",
        "--name",
        demo.plan,
        "--resource-group",
        rg,
        "--number-of-workers",
        "3",
        "-o",
        "json",
      ),
    );
    expect(updated.sku.capacity).toBe(3);
    expect(updated.numberOfWorkers).toBe(3);
    const metrics = parsed<{ value: { timeseries: { data: { average?: number }[] }[] }[] }>(
      await run(
        "monitor",
        "metrics",
        "list",
        "--resource",
        demoIds.plan,
        "--metric",
        "CpuPercentage",
        "--interval",
        "PT5M",
        "-o",
        "json",
      ),
    );
    const points = metrics.value[0]?.timeseries[0]?.data ?? [];
    expect(points.length).toBeGreaterThan(0);
    for (const point of points) expect(point.average).toBeLessThan(80);
  });

  it("az appservice plan update with a SKU az does not know fails in az itself, before any request", async () => {
    const result = await run(
      "appservice",
      "plan",
      "update",
      "--name",
      demo.plan,
      "--resource-group",
      rg,
      "--sku",
      "P9V9",
    );
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/'P9V9' is not a valid value for '--sku'/);
  });

  it("az monitor autoscale show and list read a setting a test added", async () => {
    estate.addAutoscaleSetting({ name: "plan-scale", minimum: 2, maximum: 6 });
    const shown = parsed<Record<string, unknown>>(
      await run("monitor", "autoscale", "show", "--name", "plan-scale", "--resource-group", rg, "-o", "json"),
    );
    expect(shown).toMatchObject({
      name: "plan-scale",
      enabled: true,
      targetResourceUri: demoIds.plan,
      profiles: [{ capacity: { minimum: "2", maximum: "6", default: "2" } }],
    });
    const listed = parsed<{ name: string }[]>(
      await run("monitor", "autoscale", "list", "--resource-group", rg, "-o", "json"),
    );
    expect(listed.map((s) => s.name)).toEqual(["plan-scale"]);
  });
});
