import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalStack } from "../../local/stack.ts";
import type { HealthReport } from "../../src/shared/operations/health-check/report.ts";
import { procedures } from "../../src/shared/procedures/registry.ts";
import { tokenFor } from "../support/incidents.ts";
import { type CliResult, apiSettings, runCli, startTestStack } from "../support/stack.ts";

let stack: LocalStack;

beforeAll(async () => {
  // The daily run is due from 00:00 UTC, so the timer test does not depend on the hour it runs at.
  stack = await startTestStack({
    policy: (policy) => ({ ...policy, healthCheck: { ...policy.healthCheck, hourUtc: 0 } }),
  });
});
afterAll(async () => {
  await stack?.close();
});

/** The CLI as an operator runs it: against the app's API, signed in through the estate's identity. */
function cli(
  args: string[],
  env: Record<string, string | undefined> = apiSettings(stack),
): Promise<CliResult> {
  return runCli(args, env);
}

describe("the local host serves the app", () => {
  it("serves every function the app registers", async () => {
    const response = await fetch(`${stack.hostUrl}/admin/functions`);
    const functions = (await response.json()) as {
      name: string;
      config: { bindings: { type: string; route?: string; methods?: string[] }[] };
    }[];
    const expected = procedures.flatMap((p) => [
      ...(p.http ? [p.name.replace(/ /g, "-")] : []),
      ...(p.timer ? [p.timer.name] : []),
      ...(p.queue ? [p.queue.name] : []),
    ]);
    expect(functions.map((f) => f.name).sort()).toEqual(expected.sort());
    expect(expected).toContain("health-check-daily");
    for (const fn of functions) {
      const trigger = fn.config.bindings.find((b) => b.type.endsWith("Trigger"))!;
      if (trigger.type === "httpTrigger") {
        const route = trigger
          .route!.replace("{environment}", "prod")
          .replace("{runId}", "none")
          .replace("{id}", "INC-none");
        const answer = await fetch(
          `${stack.hostUrl}/api/${route}${trigger.methods?.[0] === "GET" ? "?environment=prod" : ""}`,
          {
            method: trigger.methods?.[0],
            ...(trigger.methods?.[0] === "POST"
              ? { headers: { "content-type": "application/json" }, body: "{}" }
              : {}),
          },
        );
        // Served by the app: its own answer (200, or a 400/404 problem from its handler), never the host's empty 404.
        expect(answer.headers.get("content-type"), fn.name).toMatch(/json/);
      } else {
        // Timers and queues: the host knows them and can run them on demand.
        expect(["timerTrigger", "queueTrigger"]).toContain(trigger.type);
        const status = await fetch(`${stack.hostUrl}/admin/functions/${fn.name}`);
        expect(status.status, fn.name).toBe(200);
      }
    }
  });
});

describe("the daily timer", () => {
  it("runs the health check once per day however often it ticks", async () => {
    const tick = (): Promise<Response> =>
      fetch(`${stack.hostUrl}/admin/functions/health-check-daily?wait=true`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: "{}",
      });
    expect((await tick()).status).toBe(200);
    expect((await tick()).status).toBe(200);
    const list = await fetch(`${stack.hostUrl}/api/health-checks?environment=prod`, {
      headers: { authorization: `Bearer ${await tokenFor(stack, "reader")}` },
    });
    const { runs } = (await list.json()) as { runs: { trigger: string }[] };
    expect(runs.filter((r) => r.trigger === "timer")).toHaveLength(1);
  });
});

describe("phoenix-ops health-check", () => {
  it("prints a table and exits 0 for a healthy estate", async () => {
    stack.estate.setScenario("healthy");
    const result = await cli([
      "health-check",
      "--environment",
      "prod",
      "--components",
      "webapp,api,database",
      "--record",
      "false",
    ]);
    expect(result.stderr).not.toMatch(/error/i);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/COMPONENT\s+SIGNAL\s+VALUE\s+THRESHOLD\s+STATUS/);
    expect(result.stdout).toContain("OVERALL: OK");
  });

  it("prints JSON and exits 2 when a component is critical", async () => {
    stack.estate.setScenario("db-pool-exhausted");
    const result = await cli([
      "health-check",
      "--environment",
      "prod",
      "--output",
      "json",
      "--notify",
      "false",
    ]);
    expect(result.code).toBe(2);
    const report = JSON.parse(result.stdout) as HealthReport;
    // The CLI runs the check through the app's API, as any other caller does.
    expect(report.trigger).toBe("http");
    expect(report.components.find((c) => c.name === "database")?.status).toBe("critical");
    stack.estate.setScenario("healthy");
  });

  it("exits 3 when the data is missing", async () => {
    stack.estate.setScenario("metrics-missing");
    const result = await cli(["health-check", "--notify", "false", "--record", "false"]);
    expect(result.code).toBe(3);
    stack.estate.setScenario("healthy");
  });

  it("answers --help and refuses bad flags with usage", async () => {
    const help = await cli(["health-check", "--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("--components <components>");
    const bad = await cli(["health-check", "--output", "xml"]);
    expect(bad.code).toBe(64);
    expect(bad.stderr).toContain("--output");
    expect(bad.stderr).toContain("table, json");
    const unknownFlag = await cli(["health-check", "--frobnicate"]);
    expect(unknownFlag.code).toBe(64);
  });

  it("lists every bad setting at once, without a stack trace", async () => {
    const result = await cli(["health-check", "--direct"], {
      ...stack.settings,
      PHOENIX_ARM_ENDPOINT: "not a url",
      PHOENIX_AZURE_TIMEOUT_MS: "-5",
      PHOENIX_CREDENTIAL: "password",
    });
    expect(result.code).toBe(64);
    expect(result.stderr).toContain("PHOENIX_ARM_ENDPOINT");
    expect(result.stderr).toContain("PHOENIX_AZURE_TIMEOUT_MS");
    expect(result.stderr).toContain("PHOENIX_CREDENTIAL");
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it("names every wrong key of an invalid policy", async () => {
    const { writeFile } = await import("node:fs/promises");
    const bad = `${stack.policyPath}.bad.json`;
    await writeFile(
      bad,
      JSON.stringify({ version: 2, environments: { prod: { subscriptionId: "nope" } }, thresholds: {} }),
    );
    const result = await cli(["health-check", "--direct"], { ...stack.settings, PHOENIX_POLICY_PATH: bad });
    expect(result.code).toBe(64);
    for (const key of [
      "version",
      "environments.prod.subscriptionId",
      "environments.prod.resourceGroup",
      "thresholds.webapp",
      "healthCheck",
    ]) {
      expect(result.stderr).toContain(key);
    }
  });
});
