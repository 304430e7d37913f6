/**
 * Slot-swap benchmark (`npm run bench:swap`): 20 web apps swapped staging → production at once, with
 * 100 ms of latency on every Azure call and a 5 s swap operation in the estate. Five of them stage the
 * bad-staging release, so their verification fails and they swap back by themselves. Prints the wall
 * time, the Azure calls, and for the bad apps the time from the end of the swap to the swap-back's
 * start, next to the slowest single swap (a bad one, alone) and the verification window.
 */
import { randomUUID } from "node:crypto";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startLocalStack } from "../../local/stack.ts";
import { createRuntime } from "../../src/shared/composition/runtime.ts";
import type { OpsPolicyInput } from "../../src/shared/config/policy.ts";
import { runContextFor } from "../../src/shared/edge/run-context.ts";
import { silentLogger } from "../../src/shared/log.ts";
import { maintenanceSwap } from "../../src/shared/operations/maintenance/declaration.ts";
import type { SwapOutcome } from "../../src/shared/operations/maintenance/swap.ts";
import { inputSchemaOf, splitInput } from "../../src/shared/procedures/input-schema.ts";
import { postJson } from "../support/stack.ts";

const LATENCY_MS = Number(process.env.BENCH_LATENCY_MS ?? 100);
const SWAP_MS = Number(process.env.BENCH_SWAP_MS ?? 5000);
const APPS = Number(process.env.BENCH_APPS ?? 20);
const BAD = Number(process.env.BENCH_BAD ?? 5);
const VERIFY_S = Number(process.env.BENCH_VERIFY_S ?? 10);

const workDir = await mkdtemp(join(tmpdir(), "phoenix-swap-bench-"));
const stack = await startLocalStack({
  workDir,
  hostPort: 0,
  enableTimers: false,
  estateLatencyMs: LATENCY_MS,
  scenario: "bad-staging",
  policy: (policy, estate) => {
    const bench = estate.seedBench({
      environment: "bench",
      webapps: APPS,
      apis: 0,
      databases: 0,
      stagingSlots: { badStaging: BAD },
    });
    const edited: OpsPolicyInput = structuredClone(policy);
    edited.environments = { ...edited.environments, bench };
    edited.changeControl = { cooldownMinutes: 0, maxChangesPerHour: 100 };
    edited.maintenance = { ...edited.maintenance, verificationSeconds: VERIFY_S, verificationProbes: 4 };
    return edited;
  },
});
try {
  process.env.IDENTITY_ENDPOINT = stack.settings.IDENTITY_ENDPOINT;
  process.env.IDENTITY_HEADER = stack.settings.IDENTITY_HEADER;
  await postJson(`${stack.estate.url}/_estate/swaps`, { durationMs: SWAP_MS });
  const runtime = createRuntime({ env: stack.settings });
  const name = (n: number) => `phoenix-bench-web-${String(n).padStart(4, "0")}`;

  const swap = async (n: number, key: string): Promise<{ outcome: SwapOutcome; ms: number }> => {
    const started = performance.now();
    const parsed = inputSchemaOf(maintenanceSwap).parse({
      name: name(n),
      resourceGroup: "rg-phoenix-bench",
      key,
    });
    const { input, change } = splitInput(maintenanceSwap, parsed);
    const outcome = await maintenanceSwap.run(
      runtime.portsFor(maintenanceSwap.ports),
      input as never,
      runContextFor(
        maintenanceSwap,
        runtime,
        { logger: silentLogger, trigger: "direct", actor: "bench", invocationId: randomUUID() },
        change,
      ),
    );
    return { outcome, ms: performance.now() - started };
  };
  const decisionDelay = (o: SwapOutcome) =>
    o.swapBack && o.change.finishedAt
      ? (Date.parse(o.swapBack.createdAt) - Date.parse(o.change.finishedAt)) / 1000
      : NaN;

  // Warm up the clients and tables, then the slowest single swap: a bad app alone (swap, verify, swap back).
  await swap(APPS, `warm-${randomUUID()}`);
  const single = await swap(1, `single-${randomUUID()}`);
  if (single.outcome.decision !== "swapped-back")
    throw new Error(`the single bad swap ended ${single.outcome.decision}`);

  stack.estate.resetStats();
  const started = performance.now();
  const results = await Promise.all(
    Array.from({ length: APPS }, (_, i) => swap(i + 1, `parallel-${randomUUID()}`)),
  );
  const wall = (performance.now() - started) / 1000;
  const stats = stack.estate.stats();
  const bad = results.filter((r) => r.outcome.decision === "swapped-back");
  const kept = results.filter((r) => r.outcome.decision === "kept");
  const delays = bad.map((r) => decisionDelay(r.outcome)).sort((a, b) => a - b);
  const slots = Object.entries(stats.byRoute)
    .filter(([route]) => /slotsswap/.test(route))
    .reduce((s, [, c]) => s + c, 0);
  const f = (n: number) => n.toFixed(2);
  console.log(
    `Slot swaps, ${LATENCY_MS} ms latency on every Azure call, ${SWAP_MS / 1000} s swap operation, ${VERIFY_S} s verification window`,
  );
  console.log(
    "| run | apps | wall s | Azure calls | slotsswap POSTs | kept | swapped back | swap end → swap-back start s (min/max) |",
  );
  console.log(
    "|-----|------|--------|-------------|-----------------|------|--------------|----------------------------------------|",
  );
  console.log(
    `| single bad swap (alone) | 1 | ${f(single.ms / 1000)} | | | 0 | 1 | ${f(decisionDelay(single.outcome))} |`,
  );
  console.log(
    `| parallel | ${APPS} | ${f(wall)} | ${stats.calls} | ${slots} | ${kept.length} | ${bad.length} | ${f(delays[0] ?? NaN)} / ${f(delays.at(-1) ?? NaN)} |`,
  );
  const maxDelay = delays.at(-1) ?? Infinity;
  console.log(
    `\nTargets: swap-back within the verification window + 5 s (${VERIFY_S + 5} s): ${f(maxDelay)} s ${maxDelay <= VERIFY_S + 5 ? "met" : "NOT met"}; ` +
      `wall time within 1.5x the slowest single swap (${f((single.ms / 1000) * 1.5)} s): ${f(wall)} s ${wall <= (single.ms / 1000) * 1.5 ? "met" : "NOT met"} (${f(wall / (single.ms / 1000))}x)`,
  );
  const wrong = results.filter((r, i) =>
    i < BAD ? r.outcome.decision !== "swapped-back" : r.outcome.decision !== "kept",
  );
  if (wrong.length > 0)
    console.log(
      `unexpected outcomes: ${wrong.map((r) => `${r.outcome.site} ${r.outcome.decision}: ${r.outcome.reason}`).join("; ")}`,
    );
} finally {
  await stack.close();
}
