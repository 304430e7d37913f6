import { InvocationContext } from "@azure/functions";
import { describe, expect, it } from "vitest";
import { loadPolicyFile, parsePolicy } from "../../../src/shared/config/load.ts";
import { timerHandler } from "../../../src/shared/edge/timer.ts";
import { healthCheck } from "../../../src/shared/operations/health-check/declaration.ts";
import {
  FakeEmail,
  FakeInventory,
  FakeMetrics,
  FakeProbe,
  FixedClock,
  MemoryRunClaims,
  MemoryRunHistory,
} from "../../fakes/index.ts";
import { fakeRuntime } from "../../support/runtime.ts";

const base = loadPolicyFile("config/ops-policy.json");
/** Two environments, so that one failing must not stop the other. */
const policy = parsePolicy(
  {
    ...base,
    environments: {
      ...base.environments,
      staging: { ...base.environments.prod, recipients: ["s@phoenixvc.tech"] },
    },
  },
  "timer test policy",
);

function ports() {
  return {
    inventory: new FakeInventory(),
    metrics: new FakeMetrics(),
    probe: new FakeProbe(),
    email: new FakeEmail(),
    runHistory: new MemoryRunHistory(),
    runClaims: new MemoryRunClaims(),
  };
}

const tick = { isPastDue: false, schedule: { adjustForDST: false }, scheduleStatus: undefined } as never;

describe("a timer procedure's invocation", () => {
  it("tries every environment, then fails the invocation naming the one that failed", async () => {
    const given = ports();
    given.runHistory.failuresLeft = 1;
    const runtime = fakeRuntime({
      policy,
      clock: new FixedClock(new Date("2026-11-26T07:00:00Z")),
      ports: given,
    });
    const handler = timerHandler(healthCheck, () => runtime);
    const context = new InvocationContext({ invocationId: "tick-1", functionName: "health-check-daily" });
    await expect(handler(tick, context)).rejects.toThrow(/health-check failed for prod \(storage down\)/);
    // The other environment ran and kept its run; the failed one gave its day back.
    expect(given.runHistory.runs.map((r) => r.record.scope)).toEqual(["staging"]);
    expect([...given.runClaims.claims.keys()]).toEqual(["health-check|staging|2026-11-26"]);
  });

  it("succeeds when every environment ran or was not due", async () => {
    const runtime = fakeRuntime({
      policy,
      clock: new FixedClock(new Date("2026-11-26T05:00:00Z")),
      ports: ports(),
    });
    const handler = timerHandler(healthCheck, () => runtime);
    await expect(
      handler(tick, new InvocationContext({ invocationId: "tick-2", functionName: "health-check-daily" })),
    ).resolves.toBeUndefined();
  });
});
