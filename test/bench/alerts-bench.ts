/**
 * Alert-storm benchmark (`npm run bench:alerts`): 20,000 alerts from 200 rules and targets, a third of
 * them duplicates or retries, posted to the local host's webhook at 50 concurrent connections. Prints
 * webhook latency p50/p99, alerts per second, incidents opened, emails sent and alerts lost.
 */
import { build } from "esbuild";
import { randomUUID } from "node:crypto";
import { Agent, request as httpRequest } from "node:http";
import { mkdir, mkdtemp, readFile, readdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { monitorEventLoopDelay, performance } from "node:perf_hooks";
import { startLocalStack } from "../../local/stack.ts";
import type { Incident } from "../../src/shared/incidents/model.ts";
import { metricAlert, tokenFor } from "../support/incidents.ts";

const TOTAL = Number(process.env.BENCH_ALERTS ?? 20_000);
const KEYS = 200;
const CONCURRENCY = 50;
const DUPLICATE_SHARE = 1 / 3;

const workDir = await mkdtemp(join(tmpdir(), "phoenix-alert-bench-"));
// The app as deployed plus an empty HTTP function (the floor), bundled as the deployable app is.
const appPath = join(workDir, "bench-app.cjs");
await build({
  entryPoints: ["test/bench/floor-app.ts"],
  outfile: appPath,
  bundle: true,
  platform: "node",
  target: "node20",
  format: "cjs",
  external: ["@azure/functions-core"],
  define: { "import.meta.url": "importMetaUrl" },
  inject: ["scripts/cjs-import-meta.js"],
  logLevel: "warning",
});
// BENCH_HOST_PROFILE=<folder>: a CPU profile of the host over the measured storm and its drain (see
// host-profiler.js; `--cpu-prof` is not allowed in NODE_OPTIONS). Summarise it with
// `npx tsx test/bench/profile-summary.ts <file>`.
const PROFILE_DIR = process.env.BENCH_HOST_PROFILE ? resolve(process.env.BENCH_HOST_PROFILE) : undefined;
if (PROFILE_DIR) await mkdir(PROFILE_DIR, { recursive: true });
const hostNodeOptions = [
  process.env.BENCH_HOST_NODE_OPTIONS,
  PROFILE_DIR ? `--import ${pathToFileURL(resolve("test/bench/host-profiler.js")).href}` : undefined,
]
  .filter(Boolean)
  .join(" ");
const stack = await startLocalStack({
  workDir,
  appPath,
  hostPort: 0,
  enableTimers: false,
  ...(process.env.BENCH_VERBOSE
    ? { log: (source: string, line: string) => process.stderr.write(`[${source}] ${line}\n`) }
    : {}),
  settings: {
    // Invocation logs (two lines per request) would cost the single host process a fifth of its time.
    AzureFunctionsJobHost__logging__logLevel__default: process.env.BENCH_VERBOSE ? "Information" : "Warning",
    ...(process.env.BENCH_QUEUE_BATCH
      ? { AzureFunctionsJobHost__extensions__queues__batchSize: process.env.BENCH_QUEUE_BATCH }
      : {}),
    ...(process.env.BENCH_BATCH_WINDOW_MS
      ? { PHOENIX_ALERTS_BATCH_WINDOW_MS: process.env.BENCH_BATCH_WINDOW_MS }
      : {}),
    ...(process.env.BENCH_NO_PROCESSING ? { "AzureWebJobs.alerts-process.Disabled": "true" } : {}),
    ...(hostNodeOptions ? { NODE_OPTIONS: hostNodeOptions } : {}),
    ...(PROFILE_DIR ? { BENCH_HOST_PROFILE: PROFILE_DIR } : {}),
  },
});
const reader = await tokenFor(stack, "reader");
const pids = stack.pids ?? {};
const sub = "6f1c2d3e-4a5b-4c6d-8e9f-0a1b2c3d4e5f";
const targets = Array.from(
  { length: KEYS },
  (_, i) =>
    `/subscriptions/${sub}/resourceGroups/rg-phoenix-prod/providers/Microsoft.Web/serverfarms/bench-plan-${i}`,
);

// The storm: unique alerts spread over the 200 rule/target keys, then retries of ones already sent.
const uniqueCount = Math.round(TOTAL * (1 - DUPLICATE_SHARE));
const bodies: string[] = [];
for (let i = 0; i < uniqueCount; i++) {
  const key = i % KEYS;
  bodies.push(
    JSON.stringify(
      metricAlert({
        rule: `bench-rule-${key}`,
        alertId: randomUUID(),
        target: targets[key]!,
        severity: "Sev2",
      }),
    ),
  );
}
// Exactly `uniqueCount` first deliveries and `TOTAL - uniqueCount` repeats, the repeats at pseudo-random
// places (selection sampling), each repeating an alert sent shortly before, as an action group retries.
const schedule: string[] = [];
let seed = 7;
const random = (): number => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
let next = 0;
let repeatsLeft = TOTAL - uniqueCount;
for (let slot = 0; slot < TOTAL; slot++) {
  const slotsLeft = TOTAL - slot;
  const repeat = next > 0 && (repeatsLeft === slotsLeft || random() < repeatsLeft / slotsLeft);
  if (repeat) {
    const recent = Math.min(next, 500);
    schedule.push(bodies[next - 1 - Math.floor(random() * recent)]!);
    repeatsLeft--;
  } else schedule.push(bodies[next++]!);
}
if (next !== uniqueCount) throw new Error(`schedule holds ${next} unique alerts, not ${uniqueCount}`);

// Closed loop by default: fifty workers, each sending its next alert as soon as the last is answered,
// so the rate is the most fifty connections get through. BENCH_RATE=N makes it an open loop instead:
// alert i is due at i / N seconds whatever happened to the ones before, as alerts fire independently
// of how fast the webhook answers; a request that waits for a free connection counts that wait in its
// latency (no coordinated omission).
const RATE = Number(process.env.BENCH_RATE ?? 0);

// Fifty workers, each awaiting its answer, over at most fifty kept-alive connections. node:http rather
// than fetch: the load generator shares the two cores with what it measures, and costs less this way.
const alertsUrl = new URL(`${stack.hostUrl}/api/alerts`);
const floorUrl = new URL(`${stack.hostUrl}/api/bench-floor`);
const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
function postAlert(body: string, url: URL = alertsUrl): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      url,
      {
        method: "POST",
        agent,
        headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) },
      },
      (response) => {
        response.resume();
        response.on("end", () => resolve(response.statusCode ?? 0));
        response.on("error", reject);
      },
    );
    request.on("error", reject);
    request.end(body);
  });
}

async function send(
  label: string,
  bodiesToSend: string[],
  url: URL = alertsUrl,
): Promise<{ latencies: number[]; failed: number; seconds: number }> {
  const latencies: number[] = [];
  let failed = 0;
  let cursor = 0;
  const started = performance.now();
  const progress = setInterval(() => {
    process.stderr.write(`  ${label}: sent ${latencies.length}/${bodiesToSend.length}\n`);
  }, 10_000);
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (cursor < bodiesToSend.length) {
        const index = cursor++;
        const body = bodiesToSend[index]!;
        const due = RATE > 0 ? started + (index * 1000) / RATE : performance.now();
        const wait = due - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        const status = await postAlert(body, url);
        latencies.push(performance.now() - due);
        if (status !== 202) failed++;
      }
    }),
  );
  clearInterval(progress);
  return { latencies, failed, seconds: (performance.now() - started) / 1000 };
}

async function listIncidents(): Promise<Incident[]> {
  const response = await fetch(`${stack.hostUrl}/api/incidents?limit=500`, {
    headers: { authorization: `Bearer ${reader}` },
  });
  return ((await response.json()) as { incidents: Incident[] }).incidents;
}

// Warm-up: a long-running instance has compiled its hot paths; the first seconds of a fresh process
// have not. A short storm on other rules (not counted) runs every path the measured storm takes,
// opening incidents included, and the pipeline is drained before the measurement starts.
const WARMUP = Number(process.env.BENCH_WARMUP ?? 2000);
if (WARMUP > 0) {
  const warmupKeys = 50;
  const warmup = Array.from({ length: WARMUP }, (_, i) =>
    JSON.stringify(
      metricAlert({
        rule: `warmup-rule-${i % warmupKeys}`,
        alertId: randomUUID(),
        target: `${targets[i % warmupKeys]!}-warmup`,
        severity: "Sev2",
      }),
    ),
  );
  const cold = await send("warm-up", warmup);
  cold.latencies.sort((x, y) => x - y);
  const coldP99 = cold.latencies[Math.floor(0.99 * cold.latencies.length)] ?? 0;
  const warmupDeadline = Date.now() + 120_000;
  const warmedUp = async (): Promise<number> =>
    (await listIncidents())
      .filter((i) => i.rule.startsWith("warmup-rule-"))
      .reduce((n, i) => n + i.alertCount, 0);
  while ((await warmedUp()) < WARMUP && Date.now() < warmupDeadline) {
    await new Promise((r) => setTimeout(r, 500));
  }
  process.stderr.write(
    `warm-up: ${WARMUP} alerts on ${warmupKeys} other rules, webhook p99 ${coldP99.toFixed(1)} ms from a cold start; processed\n`,
  );
}

// The floor: the same bodies, connections and loop against an empty function on the same host, so the
// webhook's figures can be read against what this machine gives any HTTP function.
const floor = await send("floor", schedule, floorUrl);
floor.latencies.sort((x, y) => x - y);
const floorP99 = floor.latencies[Math.floor(0.99 * floor.latencies.length)] ?? 0;
const floorRate = TOTAL / floor.seconds;
if (floor.failed > 0)
  throw new Error(`the floor function answered ${floor.failed} requests with other than 202`);

const emailsBefore = new Set((await readdir(stack.outboxDir)).filter((f) => f.endsWith(".eml")));
// The load generator shares the machine: its own event-loop delay is printed so that a slow client is
// not mistaken for a slow webhook.
const clientDelay = monitorEventLoopDelay({ resolution: 5 });
clientDelay.enable();
/** CPU seconds (user + system) a process of the stack has used so far; undefined where /proc is not. */
async function cpuSeconds(pid: number | undefined): Promise<number | undefined> {
  if (pid === undefined) return undefined;
  const stat = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => undefined);
  // Fields after the command name (which may hold spaces) start at ") "; utime and stime are 14 and 15.
  const fields = stat?.slice(stat.lastIndexOf(")") + 2).split(" ");
  if (!fields) return undefined;
  return (Number(fields[11]) + Number(fields[12])) / 100;
}
const cpuAt = async (): Promise<{ host?: number; azurite?: number }> => {
  const [host, azurite] = await Promise.all([cpuSeconds(pids.host), cpuSeconds(pids.azurite)]);
  return { ...(host !== undefined ? { host } : {}), ...(azurite !== undefined ? { azurite } : {}) };
};
const cpuBeforeStorm = await cpuAt();
// The host's profiler runs from here until the pipeline has drained.
// BENCH_PROFILE_AZURITE=1 profiles Azurite too, when the same preload reaches it: run the benchmark
// with NODE_OPTIONS="--import <host-profiler.js URL>" so that Azurite inherits it.
const profiled = [pids.host, process.env.BENCH_PROFILE_AZURITE ? pids.azurite : undefined].filter(
  (pid): pid is number => PROFILE_DIR !== undefined && pid !== undefined,
);
for (const pid of profiled) process.kill(pid, "SIGUSR2");
const { latencies, failed, seconds } = await send("storm", schedule);
clientDelay.disable();
process.stderr.write(
  `load generator event-loop delay: p50 ${(clientDelay.percentile(50) / 1e6).toFixed(1)} ms, p99 ${(clientDelay.percentile(99) / 1e6).toFixed(1)} ms, max ${(clientDelay.max / 1e6).toFixed(1)} ms\n`,
);
const cpuAfterStorm = await cpuAt();
latencies.sort((x, y) => x - y);
const pct = (p: number): number =>
  latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? 0;
process.stderr.write(`posted ${TOTAL} alerts in ${seconds.toFixed(1)} s; waiting for the pipeline…\n`);

// Every unique alert must end up counted in exactly one incident of its key.
async function benchIncidents(): Promise<Incident[]> {
  return (await listIncidents()).filter((i) => i.rule.startsWith("bench-rule-"));
}
const pipelineStart = performance.now();
let incidents = await benchIncidents();
const deadline = Date.now() + Number(process.env.BENCH_PIPELINE_DEADLINE_S ?? 600) * 1000;
let reported = Date.now();
while (incidents.reduce((n, i) => n + i.alertCount, 0) < uniqueCount && Date.now() < deadline) {
  await new Promise((r) => setTimeout(r, 1000));
  incidents = await benchIncidents();
  if (Date.now() - reported >= 10_000) {
    reported = Date.now();
    process.stderr.write(
      `  processed ${incidents.reduce((n, i) => n + i.alertCount, 0)}/${uniqueCount} unique alerts\n`,
    );
  }
}
const processed = incidents.reduce((n, i) => n + i.alertCount, 0);
const pipelineSeconds = (performance.now() - pipelineStart) / 1000 + seconds;
const cpuAfterDrain = await cpuAt();
if (PROFILE_DIR && pids.host !== undefined) {
  for (const pid of profiled) process.kill(pid, "SIGUSR2");
  const name = `host-${pids.host}.cpuprofile`;
  const until = Date.now() + 60_000;
  while (!(await readdir(PROFILE_DIR)).includes(name) && Date.now() < until) {
    await new Promise((r) => setTimeout(r, 250));
  }
  process.stderr.write(`host CPU profile of the storm and its drain: ${join(PROFILE_DIR, name)}\n`);
}
// Emails: per-incident openings up to the digest threshold, then one digest per minute, within the limits.
await new Promise((r) => setTimeout(r, Number(process.env.BENCH_EMAIL_WAIT_S ?? 75) * 1000));
const emails = (await readdir(stack.outboxDir)).filter(
  (f) => f.endsWith(".eml") && !emailsBefore.has(f),
).length;

console.log(
  `Alert storm: ${TOTAL} alerts (${uniqueCount} unique, ${TOTAL - uniqueCount} duplicates or retries), ${KEYS} rules and targets, ${CONCURRENCY} connections, ${RATE > 0 ? `${RATE} alerts/s offered` : "closed loop"}${WARMUP > 0 ? `, after a ${WARMUP}-alert warm-up` : ", cold start"}`,
);
console.log(
  `| webhook p50 ms | webhook p99 ms | alerts/s | non-202 answers | incidents opened | expected | emails sent | alerts not processed | pipeline s |`,
);
console.log(`|---|---|---|---|---|---|---|---|---|`);
console.log(
  `| ${pct(50).toFixed(1)} | ${pct(99).toFixed(1)} | ${(TOTAL / seconds).toFixed(0)} | ${failed} | ${incidents.length} | ${KEYS} | ${emails} | ${uniqueCount - processed} | ${pipelineSeconds.toFixed(1)} |`,
);
const p99Ratio = pct(99) / floorP99;
const rateRatio = TOTAL / seconds / floorRate;
console.log(
  `Floor (an empty HTTP function on the same host, same load): p99 ${floorP99.toFixed(1)} ms at ${floorRate.toFixed(0)} requests/s. Webhook p99 ${p99Ratio.toFixed(2)}x the floor's (target at most 2x), throughput ${rateRatio.toFixed(2)}x (target at least 0.5x).`,
);
console.log(
  uniqueCount === processed
    ? "Every unique alert was applied to exactly one incident of its rule and target: none lost."
    : `The pipeline had not drained when the wait ended (BENCH_PIPELINE_DEADLINE_S); ${uniqueCount - processed} alerts were still queued or in flight.`,
);
// Where the two cores went: the host (webhook and queue processing in one process) and Azurite.
const used = (from: { host?: number; azurite?: number }, to: { host?: number; azurite?: number }): string =>
  (["host", "azurite"] as const)
    .map((p) =>
      from[p] !== undefined && to[p] !== undefined ? `${p} ${(to[p] - from[p]).toFixed(1)} s` : `${p} ?`,
    )
    .join(", ");
console.log(
  `CPU during the storm (${seconds.toFixed(1)} s): ${used(cpuBeforeStorm, cpuAfterStorm)}; storm and drain (${pipelineSeconds.toFixed(1)} s): ${used(cpuBeforeStorm, cpuAfterDrain)}.`,
);
agent.destroy();
await stack.close();
