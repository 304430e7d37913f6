import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalStack } from "../../local/stack.ts";
import type { ChangeRecord } from "../../src/shared/change-control/model.ts";
import { type Runtime, createRuntime } from "../../src/shared/composition/runtime.ts";
import type { OpsPolicyInput } from "../../src/shared/config/policy.ts";
import { queueNames } from "../../src/shared/ports/work-queue.ts";
import {
  api,
  demo,
  eventually,
  listIncidents,
  metricAlert,
  postAlert,
  tokenFor,
} from "../support/incidents.ts";
import { apiSettings, outboxMessages, postJson, runCli, startTestStack } from "../support/stack.ts";

/**
 * Planned maintenance end to end through the local host, with the guide's commands and flags: a
 * window, a swap of a bad staging version that swaps itself back, a verified swap (from the queue,
 * delivered twice), the end with verification, and the emergency rollback to the last known good.
 */
let stack: LocalStack;
let runtime: Runtime;
let operator: string;
let reader: string;
const app = ["--name", "phoenix-web-prod", "--resource-group", "rg-phoenix-prod"];

beforeAll(async () => {
  stack = await startTestStack({
    scenario: "bad-staging",
    policy: (policy) => {
      const edited: OpsPolicyInput = structuredClone(policy);
      edited.changeControl = { cooldownMinutes: 0, maxChangesPerHour: 20 };
      edited.maintenance = { ...edited.maintenance, verificationSeconds: 2, verificationProbes: 3 };
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

async function live(): Promise<string | undefined> {
  const slot = await runtime.ports.slots.getSlot(
    demo.web.split("/")[2] ?? "",
    "rg-phoenix-prod",
    "phoenix-web-prod",
    "production",
  );
  return slot?.appSettings["APP_VERSION"];
}

async function changes(): Promise<ChangeRecord[]> {
  const response = await api(stack, reader, "changes?limit=100");
  return ((await response.json()) as { changes: ChangeRecord[] }).changes;
}

async function scenario(name: string): Promise<void> {
  expect((await postJson(`${stack.estate.url}/_estate/scenario`, { name })).status).toBe(200);
}

describe("planned maintenance (maintenance.sh start, az webapp deployment slot swap, maintenance.sh end)", () => {
  it("records the live version as a pipeline would (POST /api/releases)", async () => {
    const result = await runCli(
      [
        "releases",
        "record",
        ...app,
        "--version",
        "2.3.1",
        "--package",
        `${stack.estate.url}/_packages/phoenix-web-2.3.1.zip`,
        "--slot",
        "production",
        "--verification",
        "passed",
      ],
      apiSettings(stack),
    );
    expect(result.stderr + result.stdout).not.toContain("rror");
    expect(result.code).toBe(0);
  });

  it("refuses an Ops.Reader and a duration out of range, and opens nothing", async () => {
    const denied = await api(stack, reader, "maintenance", {
      method: "POST",
      body: JSON.stringify({ windowDuration: 120 }),
    });
    expect(denied.status).toBe(403);
    const tooLong = await runCli(
      ["maintenance", "start", "--notification", "true", "--window-duration", "100000"],
      apiSettings(stack),
    );
    expect(tooLong.code).toBe(64);
    expect(tooLong.stderr).toContain("--window-duration must be 1 to 480 minutes");
    const ending = await runCli(["maintenance", "end", "--verification", "true"], apiSettings(stack));
    expect(ending.code).toBe(64);
    expect(ending.stderr).toContain("no maintenance window is open in prod");
  });

  it("opens the window with the guide's flags; an alert in it is recorded and suppressed", async () => {
    const result = await runCli(
      ["maintenance", "start", "--notification", "true", "--window-duration", "120"],
      apiSettings(stack),
    );
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/MW-\S+ {2}OPEN {2}prod/);
    const status = await runCli(["maintenance", "status", "--output", "json"], apiSettings(stack));
    expect((JSON.parse(status.stdout) as { open: unknown[] }).open).toHaveLength(1);
    const fired = await postAlert(
      stack,
      metricAlert({ rule: "webapp-5xx", alertId: "mw-e2e-1", target: demo.web }),
    );
    expect(fired.status).toBe(202);
    const incident = await eventually(
      async () => (await listIncidents(stack, operator)).find((i) => i.rule === "webapp-5xx"),
      "the alert's incident",
    );
    expect(incident.suppressedBy).toMatch(/^MW-/);
  });

  it("swaps the bad staging version in, finds production worse and swaps back by itself (bad-staging)", async () => {
    expect(await live()).toBe("2.3.1");
    const result = await runCli(
      ["maintenance", "swap", ...app, "--slot", "staging", "--target-slot", "production"],
      apiSettings(stack),
    );
    expect(result.stdout).toContain("SWAPPED-BACK");
    expect(result.code).toBe(1);
    expect(await live()).toBe("2.3.1");
    const all = await changes();
    const swap = all.find((c) => c.procedure === "maintenance swap" && c.action.startsWith("swap staging"));
    const back = all.find((c) => c.action === "swap back");
    expect(swap?.status).toBe("succeeded");
    expect(back).toMatchObject({ status: "succeeded", requestedBy: { name: "swap-back" } });
    expect(back?.reason).toContain(swap?.id);
    const incident = (await listIncidents(stack, operator)).find((i) => i.rule === "maintenance");
    expect(incident?.priority).toBe("high");
  }, 60_000);

  it("swaps once from the queue however often the message is delivered, and verification passes", async () => {
    await scenario("healthy");
    const message = { name: "phoenix-web-prod", resourceGroup: "rg-phoenix-prod", key: "release-2.4.0-e2e" };
    await runtime.ports.queue.send(queueNames.swaps, message);
    await runtime.ports.queue.send(queueNames.swaps, message);
    const swaps = async () =>
      (await changes()).filter(
        (c) => c.procedure === "maintenance swap" && c.action === "swap staging → production",
      );
    const swap = await eventually(
      async () => (await swaps()).find((c) => c.requestedBy.kind !== "operator" && c.status === "succeeded"),
      "the queued swap",
    );
    await eventually(async () => {
      const { releases } = (await (await api(stack, reader, "releases")).json()) as {
        releases: { changeId: string | null; verification: string }[];
      };
      return releases.find((r) => r.changeId === swap.id && r.verification === "passed");
    }, "its verification");
    await new Promise((r) => setTimeout(r, 3000));
    // The bad-staging swap before, and this one: the second delivery swapped nothing.
    expect(await swaps()).toHaveLength(2);
    expect(await live()).toBe("2.4.0");
  }, 60_000);

  it("ends the window after verifying every component", async () => {
    const result = await runCli(["maintenance", "end", "--verification", "true"], apiSettings(stack));
    expect(result.stdout).toMatch(/MW-\S+ ended\./);
    expect(result.stdout).toContain("Verification: health check");
    expect(result.code).toBe(0);
  }, 60_000);
});

describe("emergency rollback (emergency-rollback.sh --version $LAST_GOOD_VERSION --skip-validation true)", () => {
  it("prints the plan with --dry-run and changes nothing", async () => {
    await scenario("bad-staging");
    const result = await runCli(
      ["emergency-rollback", ...app, "--skip-validation", "true", "--dry-run"],
      apiSettings(stack),
    );
    expect(result.stdout).toContain("Rollback to 2.3.1 (last known good)");
    expect(result.stdout).toContain("DRY-RUN");
    expect(await live()).toBe("2.4.0");
  });

  it("restores the last known good version", async () => {
    const releases = await runCli(["releases", "list", ...app], apiSettings(stack));
    expect(releases.stdout).toContain("last known good 2.3.1");
    const result = await runCli(
      ["emergency-rollback", ...app, "--skip-validation", "true", "--reason", "2.4.0 answers 5xx"],
      apiSettings(stack),
    );
    expect(result.stdout).toContain("Rollback to 2.3.1 (last known good)");
    expect(result.code).toBe(0);
    expect(await live()).toBe("2.3.1");
    const unknown = await runCli(["emergency-rollback", ...app, "--version", "0.0.1"], apiSettings(stack));
    expect(unknown.code).toBe(64);
    expect(unknown.stderr).toContain("version 0.0.1 of phoenix-web-prod is not in the release ledger");
  }, 60_000);

  it("told the team: the window, the swap-back incident and the changes are in the outbox", async () => {
    const mails = await eventually(async () => {
      const all = await outboxMessages(stack);
      return all.some((m) => m.includes("Maintenance window started")) &&
        all.some((m) => m.includes("swapped back"))
        ? all
        : undefined;
    }, "the emails");
    expect(mails.some((m) => m.includes("Maintenance window ended by operator"))).toBe(true);
  }, 60_000);
});
