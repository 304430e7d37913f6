/**
 * Health-check benchmark (`npm run bench:health`): a health check over 10, 100 and 1000 components of
 * the local estate, with 100 ms of latency on every Azure call and Resource Manager read throttling on
 * (250 burst, 25/s). Next to it, in the same run, a naive baseline: one Metrics_List call per signal
 * per resource, the way a script around `az monitor metrics list` works. Prints a table of figures.
 */
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { ManagedIdentityCredential } from "@azure/identity";
import pLimit from "p-limit";
import { type Estate, demoPolicy, startEstate } from "../../local/estate/index.ts";
import { randomUUID } from "node:crypto";
import { createRuntime } from "../../src/shared/composition/runtime.ts";
import { silentLogger } from "../../src/shared/log.ts";
import { runHealthCheck } from "../../src/shared/operations/health-check/operation.ts";

const LATENCY_MS = 100;
const SIZES = (process.env.BENCH_SIZES ?? "10,100,1000").split(",").map(Number);
/** The naive baseline gets the same parallelism as the app's metric calls. */
const NAIVE_CONCURRENCY = 8;

/** Metric names per signal, as a per-signal script would ask for them. */
const naiveSignals: Record<string, string[]> = {
  webapp: ["HttpResponseTime", "Http5xx,Requests"],
  api: ["HttpResponseTime", "Http5xx,Requests"],
  database: ["sessions_percent,workers_percent", "connection_failed", "cpu_percent", "deadlock"],
};

interface Component {
  kind: string;
  resourceId: string;
}

const work = await mkdtemp(join(tmpdir(), "phoenix-bench-"));
const estate = await startEstate({
  outboxDir: join(work, "outbox"),
  latencyMs: LATENCY_MS,
  throttling: true,
});
process.env.IDENTITY_ENDPOINT = estate.identityEndpoint;
process.env.IDENTITY_HEADER = estate.identityHeader;

const base = demoPolicy(estate.url);
const environments: Record<string, unknown> = {};
for (const size of SIZES) {
  const webapps = Math.round(size * 0.4);
  const apis = Math.round(size * 0.3);
  environments[`bench-${size}`] = estate.seedBench({
    environment: `bench-${size}`,
    webapps,
    apis,
    databases: size - webapps - apis,
  });
}
const policyPath = join(work, "ops-policy.json");
// Only the bench environments: the demo's alert rules target an environment that is not here.
await writeFile(policyPath, JSON.stringify({ ...base, environments, alertRules: [] }));

const runtime = createRuntime({
  env: {
    // The store is not touched (record: false); the setting only has to be valid.
    AzureWebJobsStorage: "UseDevelopmentStorage=true",
    PHOENIX_POLICY_PATH: policyPath,
    PHOENIX_ARM_ENDPOINT: estate.url,
    PHOENIX_METRICS_ENDPOINT: estate.url,
  },
});
const ports = runtime.portsFor(["inventory", "metrics", "probe", "email", "runHistory"]);
const context = () => ({
  policy: runtime.policy,
  clock: runtime.clock,
  logger: silentLogger,
  trigger: "cli" as const,
  actor: "bench",
  invocationId: randomUUID(),
  apiBaseUrl: null,
});
const credential = new ManagedIdentityCredential();

async function refill(): Promise<void> {
  // Let the read bucket fill up again (250 at 25/s) so each run starts from the same allowance.
  await new Promise((r) => setTimeout(r, 10_500));
}

async function naive(components: Component[]): Promise<void> {
  const token = (await credential.getToken("https://management.azure.com/.default"))?.token;
  const end = new Date();
  const timespan = `${new Date(end.getTime() - 15 * 60_000).toISOString()}/${end.toISOString()}`;
  const limit = pLimit(NAIVE_CONCURRENCY);
  const calls = components.flatMap((c) =>
    (naiveSignals[c.kind] ?? []).map((names) => ({ id: c.resourceId, names })),
  );
  await Promise.all(
    calls.map((call) =>
      limit(async () => {
        const url = `${estate.url}${call.id}/providers/Microsoft.Insights/metrics?api-version=2023-10-01&metricnames=${call.names}&timespan=${timespan}&interval=PT5M&aggregation=average,total,maximum`;
        for (;;) {
          const response = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
          await response.arrayBuffer();
          if (response.status !== 429) {
            if (!response.ok) throw new Error(`Metrics_List answered ${response.status}`);
            return;
          }
          const wait = Number(response.headers.get("retry-after") ?? "1");
          await new Promise((r) => setTimeout(r, wait * 1000));
        }
      }),
    ),
  );
}

async function measure(
  estateRef: Estate,
  run: () => Promise<unknown>,
): Promise<{ seconds: number; calls: number; probes: number; throttled: number }> {
  estateRef.resetStats();
  const started = performance.now();
  await run();
  const seconds = (performance.now() - started) / 1000;
  const stats = estateRef.stats();
  // Azure calls: Resource Manager and metrics. Token requests and health-URL probes are counted apart.
  const probes = stats.byRoute["site-health"] ?? 0;
  const calls = stats.calls - (stats.byRoute["msi-token"] ?? 0) - probes;
  return { seconds, calls, probes, throttled: stats.throttled };
}

// Warm the token cache and connections once, as a long-running Functions instance would be.
await runHealthCheck(ports, { environment: "bench-10", notify: false, record: false }, context());

const rows: string[][] = [];
for (const size of SIZES) {
  const environment = `bench-${size}`;
  const components = Object.values(
    (environments[environment] as { components: Record<string, Component> }).components,
  );
  await refill();
  const ours = await measure(estate, async () => {
    const report = await runHealthCheck(ports, { environment, notify: false, record: false }, context());
    if (report.status !== "ok") {
      const off = report.components.flatMap((c) =>
        c.signals.filter((s) => s.status !== "ok").map((s) => `${c.name}.${s.name}: ${s.reason}`),
      );
      throw new Error(`bench run was ${report.status}, expected ok: ${off.slice(0, 5).join("; ")}`);
    }
  });
  await refill();
  const baseline = await measure(estate, () => naive(components));
  rows.push([
    String(size),
    ours.seconds.toFixed(2),
    String(ours.calls),
    String(ours.probes),
    String(ours.throttled),
    baseline.seconds.toFixed(2),
    String(baseline.calls),
    String(baseline.throttled),
    `${(baseline.seconds / ours.seconds).toFixed(1)}x`,
  ]);
  process.stderr.write(`size ${size} done\n`);
}

const header = [
  "components",
  "wall s",
  "Azure calls",
  "URL probes",
  "throttled",
  "naive wall s",
  "naive Azure calls",
  "naive throttled",
  "speed-up",
];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
const line = (cells: string[]): string =>
  `| ${cells.map((c, i) => c.padStart(widths[i] ?? 0)).join(" | ")} |`;
console.log(
  `Health check, ${LATENCY_MS} ms latency on every Azure call, ARM read throttling on (250 burst, 25/s)`,
);
console.log(line(header));
console.log(`|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`);
for (const row of rows) console.log(line(row));
console.log(
  "Azure calls: Resource Manager and Azure Monitor requests (tokens excluded); URL probes: GETs of health URLs",
);
await estate.close();
