/**
 * npm run bench:backups: a backup verification over 500 protected items in 10 Recovery Services vaults
 * (25 VMs each, one SQL Server database and the VM itself per VM) with 90 days of job history, 100 ms
 * of latency on every Azure call and Resource Manager read throttling on (250 burst, 25/s), next to a
 * naive baseline in the same run: per item, a read of the item and of its policy, and one jobs query
 * per backup type over that type's window (every page of it), with the same parallelism as the app.
 * Prints a table; not a test.
 */
import { randomUUID } from "node:crypto";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { ManagedIdentityCredential } from "@azure/identity";
import pLimit from "p-limit";
import { type Estate, demoPolicy, startEstate } from "../../local/estate/index.ts";
import { filterTime } from "../../src/shared/adapters/arm-recovery-services.ts";
import { createRuntime } from "../../src/shared/composition/runtime.ts";
import { silentLogger } from "../../src/shared/log.ts";
import { verifyBackups } from "../../src/shared/operations/backups/verify.ts";

const LATENCY_MS = Number(process.env.BENCH_LATENCY_MS ?? 100);
const VAULTS = Number(process.env.BENCH_VAULTS ?? 10);
const VMS_PER_VAULT = Number(process.env.BENCH_VMS_PER_VAULT ?? 25);
const DAYS = Number(process.env.BENCH_DAYS ?? 90);
const NAIVE_CONCURRENCY = 8;

const sub = "6f1c2d3e-4a5b-4c6d-8e9f-0a1b2c3d4e5f";
const rg = "rg-phoenix-prod";
const work = await mkdtemp(join(tmpdir(), "phoenix-bench-"));
const estate = await startEstate({
  outboxDir: join(work, "outbox"),
  latencyMs: LATENCY_MS,
  throttling: true,
});
process.env.IDENTITY_ENDPOINT = estate.identityEndpoint;
process.env.IDENTITY_HEADER = estate.identityHeader;

const vaultIds: string[] = [];
const vmItems: Record<string, { full: { every: string; retention: string } }> = {};
for (let v = 1; v <= VAULTS; v++) {
  const vaultId = `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.RecoveryServices/vaults/rsv-bench-${String(v).padStart(2, "0")}`;
  const vms = Array.from({ length: VMS_PER_VAULT }, (_, i) => {
    const name = `sqlvm-${String(v).padStart(2, "0")}-${String(i + 1).padStart(3, "0")}`;
    vmItems[name] = { full: { every: "P1D", retention: "P30D" } };
    return {
      name,
      vmId: `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.Compute/virtualMachines/${name}`,
      databases: [`db-${name}`],
    };
  });
  estate.backups.addVault({ vaultId, resourceGroup: rg, vms, days: DAYS });
  vaultIds.push(vaultId);
}
const itemCount = VAULTS * VMS_PER_VAULT * 2;

const base = demoPolicy(estate.url);
const prod = { ...base.environments.prod!, backups: { vaults: vaultIds, items: vmItems } };
const policyPath = join(work, "ops-policy.json");
await writeFile(policyPath, JSON.stringify({ ...base, environments: { prod } }));
const runtime = createRuntime({
  env: {
    AzureWebJobsStorage: "UseDevelopmentStorage=true",
    PHOENIX_POLICY_PATH: policyPath,
    PHOENIX_ARM_ENDPOINT: estate.url,
    PHOENIX_METRICS_ENDPOINT: estate.url,
  },
});
const ports = runtime.portsFor(["backups", "email", "runHistory"]);
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

async function measure(
  estateRef: Estate,
  run: () => Promise<unknown>,
): Promise<{ seconds: number; calls: number; throttled: number }> {
  estateRef.resetStats();
  const started = performance.now();
  await run();
  const seconds = (performance.now() - started) / 1000;
  const stats = estateRef.stats();
  return { seconds, calls: stats.calls - (stats.byRoute["msi-token"] ?? 0), throttled: stats.throttled };
}

/** GET with the token, honouring 429's Retry-After, as a script's az calls would. */
async function get(url: string, token: string): Promise<unknown> {
  for (;;) {
    const response = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
    const body: unknown = await response.json().catch(() => undefined);
    if (response.status === 429) {
      await new Promise((r) => setTimeout(r, Number(response.headers.get("retry-after") ?? "1") * 1000));
      continue;
    }
    if (!response.ok) throw new Error(`${url} answered ${response.status}`);
    return body;
  }
}

async function naive(): Promise<void> {
  const token = (await credential.getToken("https://management.azure.com/.default"))?.token ?? "";
  const now = new Date();
  const limit = pLimit(NAIVE_CONCURRENCY);
  const work: (() => Promise<unknown>)[] = [];
  for (const vaultId of vaultIds) {
    const vault = estate.backups.vault(vaultId)!;
    for (const item of vault.items) {
      const itemUrl = `${estate.url}${vaultId}/backupFabrics/Azure/protectionContainers/${encodeURIComponent(item.containerName)}/protectedItems/${encodeURIComponent(item.name)}?api-version=2024-10-01`;
      work.push(() => get(itemUrl, token));
      work.push(() =>
        get(`${estate.url}${vaultId}/backupPolicies/${item.policyName}?api-version=2024-10-01`, token),
      );
      const windows = item.kind === "vm" ? [30] : [7 * 24 + 6, 30, 1];
      for (const hours of windows) {
        work.push(async () => {
          const filter = `backupManagementType eq '${item.kind === "vm" ? "AzureIaasVM" : "AzureWorkload"}' and operation eq 'Backup' and startTime eq '${filterTime(new Date(now.getTime() - hours * 3_600_000))}' and endTime eq '${filterTime(now)}'`;
          let url: string | undefined =
            `${estate.url}${vaultId}/backupJobs?api-version=2024-10-01&$filter=${encodeURIComponent(filter)}`;
          while (url) {
            const page = (await get(url, token)) as { nextLink?: string };
            url = page.nextLink;
          }
        });
      }
    }
  }
  await Promise.all(work.map((w) => limit(w)));
}

// Warm the token cache and connections once, as a long-running Functions instance would be.
await verifyBackups(
  ports,
  { environment: "prod", notify: false, record: false, vaultName: "rsv-bench-01" },
  context(),
);

await refill();
let status = "";
const ours = await measure(estate, async () => {
  const report = await verifyBackups(ports, { environment: "prod", notify: false, record: false }, context());
  status = report.status;
  const items = report.vaults.reduce((n, v) => n + v.items.length, 0);
  if (items !== itemCount) throw new Error(`verified ${items} items, expected ${itemCount}`);
});
await refill();
const baseline = await measure(estate, naive);

const row = (cells: (string | number)[]) => `| ${cells.map(String).join(" | ")} |`;
console.log(
  `Backup verification, ${VAULTS} vaults, ${itemCount} protected items, ${DAYS} days of jobs, ${LATENCY_MS} ms latency on every Azure call, ARM read throttling on (250 burst, 25/s)`,
);
console.log(
  row([
    "items",
    "wall s",
    "Azure calls",
    "throttled",
    "status",
    "naive wall s",
    "naive Azure calls",
    "naive throttled",
    "speed-up",
  ]),
);
console.log(row(["---", "---", "---", "---", "---", "---", "---", "---", "---"]));
console.log(
  row([
    itemCount,
    ours.seconds.toFixed(2),
    ours.calls,
    ours.throttled,
    status,
    baseline.seconds.toFixed(2),
    baseline.calls,
    baseline.throttled,
    `${(baseline.seconds / ours.seconds).toFixed(1)}x`,
  ]),
);
await estate.close();
