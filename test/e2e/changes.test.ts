import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalStack } from "../../local/stack.ts";
import { executeChange } from "../../src/shared/change-control/execute.ts";
import type { ChangeRecord } from "../../src/shared/change-control/model.ts";
import { createRuntime } from "../../src/shared/composition/runtime.ts";
import { silentLogger } from "../../src/shared/log.ts";
import { tokenFor } from "../support/incidents.ts";
import { type CliResult, apiSettings, runCli, startTestStack } from "../support/stack.ts";

/** The audit trail through the API and the CLI: changes list and changes show. */
let stack: LocalStack;
let recorded: ChangeRecord;
const plan =
  "/subscriptions/6f1c2d3e-4a5b-4c6d-8e9f-0a1b2c3d4e5f/resourceGroups/rg-phoenix-prod/providers/Microsoft.Web/serverfarms/asp-phoenix-prod";

beforeAll(async () => {
  stack = await startTestStack();
  // A change made through change control by the app's own runtime, on the stack's storage.
  const runtime = createRuntime({ env: stack.settings });
  let sku = "P1V2";
  recorded = await executeChange(
    {
      policy: runtime.policy,
      journal: runtime.ports.changes,
      leases: runtime.ports.leases,
      clock: runtime.clock,
      logger: silentLogger,
    },
    {
      key: "e2e-change",
      procedure: "scale",
      environment: "prod",
      resourceId: plan,
      action: "scale up to P2V2",
      reason: "end-to-end test",
      requestedBy: { kind: "operator", name: "tester" },
      request: { sku: "P2V2" },
      dryRun: false,
      read: async () => ({ sku }),
      plan: (before) => ({ after: { sku: "P2V2" }, summary: `${before.sku} → P2V2` }),
      apply: async (token, _b, after) => {
        token.assertFor(plan);
        sku = after.sku;
      },
      verify: (after, observed) => after.sku === observed.sku,
    },
  );
});
afterAll(async () => {
  await stack?.close();
});

function cli(args: string[]): Promise<CliResult> {
  return runCli(args, apiSettings(stack));
}

describe("phoenix-ops changes list|show", () => {
  it("lists the change with its result, who asked and what changed", async () => {
    const result = await cli(["changes", "list", "--environment", "prod"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(recorded.id);
    expect(result.stdout).toMatch(
      /succeeded\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\s+tester\s+scale\s+P1V2 → P2V2/,
    );
  });

  it("shows every step, oldest first", async () => {
    const result = await cli(["changes", "show", recorded.id, "--output", "json"]);
    expect(result.code).toBe(0);
    const body = JSON.parse(result.stdout) as { change: ChangeRecord; steps: { step: string }[] };
    expect(body.change).toMatchObject({ id: recorded.id, status: "succeeded", observed: { sku: "P2V2" } });
    expect(body.steps.map((s) => s.step)).toEqual(["requested", "started", "succeeded"]);
  });

  it("filters by result and refuses what it does not know, with the usage code", async () => {
    expect((await cli(["changes", "list", "--result", "blocked", "--output", "json"])).stdout).toContain(
      '"changes": []',
    );
    expect((await cli(["changes", "list", "--result", "nonsense"])).code).toBe(64);
    const missing = await cli(["changes", "show", "CHG-none"]);
    expect(missing.code).toBe(64);
    expect(missing.stderr).toContain("no change CHG-none");
    expect((await cli(["changes", "show", "constructor"])).code).toBe(64);
  });

  it("needs Ops.Reader", async () => {
    expect((await fetch(`${stack.hostUrl}/api/changes`)).status).toBe(401);
    const reader = await tokenFor(stack, "reader");
    expect(
      (await fetch(`${stack.hostUrl}/api/changes`, { headers: { authorization: `Bearer ${reader}` } }))
        .status,
    ).toBe(200);
  });
});
