/**
 * Emergency-scaling benchmark (`npm run bench:scale`): from the webhook receiving a high-CPU alert to the
 * scale request (the plan's PUT) reaching Resource Manager, with 100 ms of latency on every Azure call.
 * 100 alerts on 20 plans, in five waves of one alert per plan (each wave's rule scales out by one, so
 * every alert leads to one PUT); then 20 concurrent alerts, each from its own rule, on one plan: exactly
 * one change, the rest recorded as in flight or cooled down. Prints p50, p99 and max.
 */
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type LocalStack, startLocalStack } from "../../local/stack.ts";
import type { ChangeRecord } from "../../src/shared/change-control/model.ts";
import { createRuntime } from "../../src/shared/composition/runtime.ts";
import type { OpsPolicyInput } from "../../src/shared/config/policy.ts";
import { metricAlert } from "../support/incidents.ts";
import { postJson } from "../support/stack.ts";

const LATENCY_MS = Number(process.env.BENCH_LATENCY_MS ?? 100);
const PLANS = 20;
const WAVES = 5;
const BURST = 20;
const sub = "6f1c2d3e-4a5b-4c6d-8e9f-0a1b2c3d4e5f";
const planId = (n: number) =>
  `/subscriptions/${sub}/resourceGroups/rg-phoenix-bench/providers/Microsoft.Web/serverfarms/asp-phoenix-bench-${String(n).padStart(2, "0")}`;

function rule(name: string, scale: { up: boolean; out: number }) {
  return {
    name,
    threshold: 80,
    window: "PT5M",
    action: { type: "email" as const, recipients: ["ops@phoenixvc.tech"] },
    metric: "CpuPercentage",
    target: { environment: "bench", resource: "plan" },
    scale: { ...scale, back: "manual" as const, stabilisationMinutes: 15 },
  };
}

async function stackFor(rules: ReturnType<typeof rule>[], cooldownMinutes: number): Promise<LocalStack> {
  const workDir = await mkdtemp(join(tmpdir(), "phoenix-scale-bench-"));
  return startLocalStack({
    workDir,
    hostPort: 0,
    enableTimers: false,
    estateLatencyMs: LATENCY_MS,
    ...(process.env.BENCH_VERBOSE
      ? { log: (source: string, line: string) => process.stderr.write(`[${source}] ${line}\n`) }
      : {}),
    settings: {
      AzureFunctionsJobHost__logging__logLevel__default: process.env.BENCH_VERBOSE
        ? "Information"
        : "Warning",
    },
    policy: (policy, estate) => {
      // 21 plans of 100 sites each: 20 for the waves, the 21st for the burst.
      const bench = estate.seedBench({
        environment: "bench",
        webapps: (PLANS + 1) * 100,
        apis: 0,
        databases: 0,
      });
      const edited: OpsPolicyInput = structuredClone(policy);
      edited.environments = {
        ...edited.environments,
        bench: {
          ...bench,
          appServicePlan: planId(1),
          scaling: { skus: ["P1V3", "P2V3", "P3V3"], minInstances: 1, maxInstances: 30 },
        },
      };
      edited.changeControl = { cooldownMinutes, maxChangesPerHour: 100 };
      edited.alertRules = rules;
      return edited;
    },
  });
}

async function writesTo(stack: LocalStack): Promise<{ at: number; method: string; path: string }[]> {
  return stack.estate.stats().writes.filter((w) => w.method === "PUT" && /\/serverfarms\//i.test(w.path));
}

async function waitForChanges(
  stack: LocalStack,
  count: number,
  timeoutMs = 120_000,
): Promise<ChangeRecord[]> {
  const runtime = createRuntime({ env: stack.settings });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const changes = await runtime.ports.changes.list({ environment: "bench", limit: 500 });
    const finished = changes.filter((c) => c.status !== "requested" && c.status !== "started");
    if (finished.length >= count) return finished;
    if (Date.now() > deadline) throw new Error(`only ${finished.length} of ${count} changes finished`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;

// Phase 1: five waves of one alert per plan; no cooldown, so each wave's scale-out is applied.
const waveRules = Array.from({ length: WAVES }, (_, w) =>
  rule(`bench-cpu-wave-${w + 1}`, { up: false, out: 1 }),
);
let stack = await stackFor(waveRules, 0);
const samples: number[] = [];
/** Webhook → change claimed (queues and alert processing), and claimed → PUT (change control and ARM). */
const toClaim: number[] = [];
const toOpen: number[] = [];
const toPut: number[] = [];
for (let w = 0; w < WAVES; w++) {
  const sentAt = new Map<number, number>();
  const before = (await writesTo(stack)).length;
  await Promise.all(
    Array.from({ length: PLANS }, async (_, i) => {
      const plan = planId(i + 1);
      const body = metricAlert({
        rule: `bench-cpu-wave-${w + 1}`,
        alertId: `wave-${w}-plan-${i}`,
        target: plan,
      });
      sentAt.set(i + 1, Date.now());
      const response = await postJson(`${stack.hostUrl}/api/alerts`, body);
      if (response.status !== 202) throw new Error(`the webhook answered ${response.status}`);
    }),
  );
  const changes = await waitForChanges(stack, PLANS * (w + 1));
  const opened = await createRuntime({ env: stack.settings }).ports.incidents.listIncidentsOpenedBetween(
    new Date(Date.now() - 600_000).toISOString(),
    new Date(Date.now() + 60_000).toISOString(),
  );
  const writes = (await writesTo(stack)).slice(before);
  for (let p = 1; p <= PLANS; p++) {
    const name = `asp-phoenix-bench-${String(p).padStart(2, "0")}`;
    const put = writes.find((x) => x.path.toLowerCase().includes(`/serverfarms/${name}`));
    if (!put) throw new Error(`wave ${w + 1}: no PUT reached ${name}`);
    const sent = sentAt.get(p) ?? put.at;
    samples.push(put.at - sent);
    const claimed = changes.find((c) => c.requestedBy.alertId?.endsWith(`/alerts/wave-${w}-plan-${p - 1}`));
    const incident = opened.find((i) => i.id === claimed?.requestedBy.incidentId);
    if (incident) toOpen.push(Date.parse(incident.openedAt) - sent);
    if (claimed) {
      toClaim.push(Date.parse(claimed.createdAt) - sent);
      toPut.push(put.at - Date.parse(claimed.createdAt));
    }
  }
  process.stderr.write(`wave ${w + 1}/${WAVES} done\n`);
}
const applied = (await waitForChanges(stack, PLANS * WAVES)).filter((c) => c.status === "succeeded").length;
await stack.close();

// Phase 2: twenty alerts at once on one plan, each from its own rule, with the policy's cooldown.
const burstRules = Array.from({ length: BURST }, (_, i) =>
  rule(`bench-burst-${i + 1}`, { up: true, out: 0 }),
);
stack = await stackFor(burstRules, 10);
const burstPlan = planId(PLANS + 1);
await Promise.all(
  burstRules.map((r, i) =>
    postJson(
      `${stack.hostUrl}/api/alerts`,
      metricAlert({ rule: r.name, alertId: `burst-${i}`, target: burstPlan }),
    ),
  ),
);
const burst = await waitForChanges(stack, BURST);
const puts = (await writesTo(stack)).length;
await stack.close();

const sorted = [...samples].sort((a, b) => a - b);
const p50 = (values: number[]) =>
  percentile(
    [...values].sort((a, b) => a - b),
    50,
  );
const p99 = (values: number[]) =>
  percentile(
    [...values].sort((a, b) => a - b),
    99,
  );
const counts = (status: string) => burst.filter((c) => c.status === status).length;
const lines = [
  `Emergency scaling, ${LATENCY_MS} ms latency on every Azure call`,
  `  webhook → scale request at Resource Manager, ${samples.length} alerts on ${PLANS} plans (${WAVES} waves):`,
  `    p50 ${percentile(sorted, 50)} ms, p99 ${percentile(sorted, 99)} ms, max ${sorted.at(-1)} ms (target p99 ≤ 2000 ms)`,
  `    webhook → incident opened: p50 ${p50(toOpen)} ms, p99 ${p99(toOpen)} ms; → change claimed: p50 ${p50(toClaim)} ms, p99 ${p99(toClaim)} ms; claimed → PUT: p50 ${p50(toPut)} ms, p99 ${p99(toPut)} ms`,
  `    changes applied: ${applied} of ${samples.length}`,
  `  ${BURST} concurrent alerts on one plan: ${counts("succeeded")} change applied (${puts} PUT), ${counts("in-flight")} in flight, ${burst.filter((c) => c.status === "blocked" && c.blockedBy?.rule === "cooldown").length} cooldown, ${counts("failed")} failed`,
];
process.stdout.write(`${lines.join("\n")}\n`);
