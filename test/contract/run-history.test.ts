import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Azurite } from "../../local/azurite.ts";
import type { Runtime } from "../../src/shared/composition/runtime.ts";
import type { RunHistory, RunRecord } from "../../src/shared/ports/run-history.ts";
import type { ScheduledRunClaims } from "../../src/shared/ports/scheduled-run-claims.ts";
import { MemoryRunClaims, MemoryRunHistory } from "../fakes/index.ts";
import { azuriteRuntimes } from "./storage-runtime.ts";

/**
 * One contract, two implementations: the in-memory fake the operation tests use and the Table/Blob
 * adapter on Azurite must answer alike, so a fake can never drift from what it stands in for.
 */
let azurite: Azurite;
let runtime: (prefix?: string) => Runtime;
beforeAll(async () => {
  ({ azurite, runtime } = await azuriteRuntimes());
});
afterAll(async () => {
  await azurite?.close();
});

const record = (runId: string, startedAt: string, scope = "prod"): RunRecord => ({
  procedure: "health",
  scope,
  runId,
  trigger: "cli",
  status: "ok",
  startedAt,
  finishedAt: startedAt,
  facts: { componentCount: 3, notified: false },
});

async function all<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

const implementations: [
  string,
  () => { history: RunHistory; claims: ScheduledRunClaims; other: () => ScheduledRunClaims },
][] = [
  [
    "in-memory fake",
    () => {
      const claims = new MemoryRunClaims();
      return { history: new MemoryRunHistory(), claims, other: () => claims };
    },
  ],
  [
    "Table and Blob adapters on Azurite",
    () => {
      const first = runtime();
      return {
        history: first.ports.runHistory,
        claims: first.ports.runClaims,
        // A second instance of the app: its own clients on the same tables.
        other: () => runtime(first.settings.PHOENIX_STATE_TABLE_PREFIX).ports.runClaims,
      };
    },
  ],
];

describe.each(implementations)("RunHistory contract: %s", (_name, make) => {
  it("keeps every run, lists the newest first and returns each document whole", async () => {
    const { history } = make();
    await history.saveRun(record("run-a", "2026-11-01T06:00:00.000Z"), {
      runId: "run-a",
      big: "x".repeat(100_000),
    });
    await history.saveRun(record("run-c", "2026-11-03T06:00:00.000Z"), { runId: "run-c" });
    await history.saveRun(record("run-b", "2026-11-02T06:00:00.000Z"), { runId: "run-b" });
    await history.saveRun(record("run-x", "2026-11-04T06:00:00.000Z", "staging"), { runId: "run-x" });
    const runs = await all(history.listRuns("health", "prod"));
    expect(runs.map((r) => r.runId)).toEqual(["run-c", "run-b", "run-a"]);
    expect(runs[0]).toEqual(record("run-c", "2026-11-03T06:00:00.000Z"));
    expect((await all(history.listRuns("health", "prod", { limit: 2 }))).map((r) => r.runId)).toEqual([
      "run-c",
      "run-b",
    ]);
    expect(await history.getRun("health", "prod", "run-a")).toEqual({
      runId: "run-a",
      big: "x".repeat(100_000),
    });
    expect(await history.getRun("health", "prod", "run-zzz")).toBeUndefined();
    expect(await history.getRun("health", "staging", "run-a")).toBeUndefined();
  });

  it("lists nothing for a scope with no runs", async () => {
    const { history } = make();
    expect(await all(history.listRuns("health", "constructor"))).toEqual([]);
  });
});

describe.each(implementations)("ScheduledRunClaims contract: %s", (_name, make) => {
  it("lets exactly one of many concurrent claimants win a period", async () => {
    const { claims, other } = make();
    const second = other();
    const run = { procedure: "health-check", scope: "prod", period: "2026-11-20" };
    const won = (
      await Promise.all(
        Array.from({ length: 12 }, (_, i) => (i % 2 ? claims : second).claimRun(run, `instance-${i}`)),
      )
    ).filter(Boolean);
    expect(won).toHaveLength(1);
  });

  it("gives a claim back only for its owner", async () => {
    const { claims } = make();
    const run = { procedure: "health-check", scope: "prod", period: "2026-11-21" };
    expect(await claims.claimRun(run, "owner")).toBe(true);
    await claims.releaseRun(run, "intruder");
    expect(await claims.claimRun(run, "second")).toBe(false);
    await claims.releaseRun(run, "owner");
    expect(await claims.claimRun(run, "second")).toBe(true);
    // Releasing what nobody holds is no error.
    await claims.releaseRun({ ...run, period: "2026-11-22" }, "owner");
  });
});
