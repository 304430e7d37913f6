import type { ChangeRecord } from "../../change-control/model.ts";
import type { OpsPolicy } from "../../config/policy.ts";
import { OpsError } from "../../errors.ts";
import type {
  BackupJobState,
  BackupPolicyState,
  BackupType,
  ProtectedItemState,
} from "../../ports/backup-vaults.ts";
import type { Ports } from "../../ports/catalogue.ts";
import type { CallOptions } from "../../ports/call-options.ts";
import type { RunContext } from "../../procedures/declaration.ts";
import { changeControlOf } from "../scaling/operation.ts";

/** The environment a resource group is in, and the vault's id there; 404 naming the known groups. */
export function vaultIn(
  policy: OpsPolicy,
  resourceGroup: string,
  vaultName: string,
): { environment: string; vaultId: string } {
  const found = Object.entries(policy.environments).find(
    ([, env]) => env.resourceGroup.toLowerCase() === resourceGroup.toLowerCase(),
  );
  if (!found) {
    throw new OpsError(
      "NotFound",
      `resource group "${resourceGroup}" is not in the ops policy; known: ${Object.values(policy.environments)
        .map((e) => e.resourceGroup)
        .join(", ")}`,
      { details: { field: "resourceGroup" } },
    );
  }
  const [environment, env] = found;
  return {
    environment,
    vaultId: `/subscriptions/${env.subscriptionId}/resourceGroups/${env.resourceGroup}/providers/Microsoft.RecoveryServices/vaults/${vaultName}`,
  };
}

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const value of iterable) out.push(value);
  return out;
}

/** A vault's 404 as the app words it: the vault, by name, in its resource group. */
async function readVault<T>(vaultName: string, resourceGroup: string, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (error) {
    if (error instanceof OpsError && error.code === "NotFound") {
      throw new OpsError(
        "NotFound",
        `no Recovery Services vault "${vaultName}" in resource group ${resourceGroup}`,
        {
          details: { field: "vaultName" },
          cause: error,
        },
      );
    }
    throw error;
  }
}

const terminal = new Set(["completed", "completedwithwarnings", "failed", "cancelled"]);

/** The guide's `az backup job list --vault-name --resource-group`, with --status and --since. */
export async function listBackupJobs(
  ports: Pick<Ports, "backups">,
  input: { vaultName: string; resourceGroup: string; status?: string; operation?: string; since: string },
  context: RunContext,
): Promise<{ vault: string; since: string; jobs: BackupJobState[] }> {
  const { vaultId } = vaultIn(context.policy, input.resourceGroup, input.vaultName);
  const now = context.clock.now();
  const since = sinceOf(input.since, now);
  const jobs = await readVault(input.vaultName, input.resourceGroup, () =>
    collect(
      ports.backups.listJobs(
        vaultId,
        {
          since,
          until: now,
          ...(input.status ? { status: input.status } : {}),
          ...(input.operation ? { operation: input.operation } : {}),
        },
        { abortSignal: context.abortSignal },
      ),
    ),
  );
  return { vault: input.vaultName, since: since.toISOString(), jobs };
}

/** `--since 7d`, `24h`, `P7D`, `PT12H` or a date; az's default is the last 24 hours. */
export function sinceOf(text: string, now: Date): Date {
  const short = /^(\d+)([dhm])$/i.exec(text);
  if (short) {
    const unit = { d: 86_400_000, h: 3_600_000, m: 60_000 }[short[2]?.toLowerCase() as "d" | "h" | "m"];
    return new Date(now.getTime() - Number(short[1]) * unit);
  }
  const iso = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?)?$/.exec(text);
  if (iso && text !== "P" && text !== "PT") {
    const ms = ((Number(iso[1] ?? 0) * 24 + Number(iso[2] ?? 0)) * 60 + Number(iso[3] ?? 0)) * 60_000;
    return new Date(now.getTime() - ms);
  }
  const date = Date.parse(text);
  if (!Number.isNaN(date) && /^\d{4}-\d{2}-\d{2}/.test(text)) {
    if (date > now.getTime()) {
      throw new OpsError("BadRequest", `--since ${text} is in the future`, { details: { field: "since" } });
    }
    return new Date(date);
  }
  throw new OpsError("BadRequest", `--since takes 24h, 7d, P7D or a date, not "${text}"`, {
    details: { field: "since" },
  });
}

/** An item as the guide names it: its name or friendly name, in a container by its name or its last part. */
function findItem(items: ProtectedItemState[], itemName: string, containerName: string): ProtectedItemState {
  const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();
  const inContainer = (item: ProtectedItemState) =>
    same(item.containerName, containerName) || same(item.containerName.split(";").pop() ?? "", containerName);
  const containers = [...new Set(items.map((i) => i.containerName))];
  if (!items.some(inContainer)) {
    throw new OpsError(
      "NotFound",
      `no protection container "${containerName}" in the vault; known: ${containers.join(", ") || "none"}`,
      { details: { field: "containerName" } },
    );
  }
  const candidates = items.filter(inContainer);
  const item = candidates.find((i) => same(i.name, itemName) || same(i.friendlyName, itemName));
  if (!item) {
    throw new OpsError(
      "NotFound",
      `no protected item "${itemName}" in container ${containerName}; known: ${candidates.map((i) => i.friendlyName).join(", ")}`,
      { details: { field: "itemName" } },
    );
  }
  return item;
}

/** What backup-now reads and verifies: the item, and the job this change started (once it has). */
export interface BackupNowState {
  itemId: string;
  item: string;
  lastBackupTime: string | null;
  /** A backup of the item already running when asked (none is started then). */
  running: { jobId: string; operation: string; startTime: string } | null;
  job: { jobId: string; status: string; startTime: string; endTime: string | null } | null;
}

export interface BackupNowResult {
  change: ChangeRecord;
  job: BackupJobState | null;
}

const dayMs = 86_400_000;

/**
 * The guide's `az backup protection backup-now --item-name --vault-name --resource-group
 * --container-name`, through change control: the item and its policy are checked (the backup type
 * must be one its policy has, --retain-until in the future and within the policy's retention), then
 * the trigger is applied: 202, the operation followed to its job, the job followed to its end.
 */
export async function backupNow(
  ports: Pick<Ports, "backups">,
  input: {
    itemName: string;
    vaultName: string;
    resourceGroup: string;
    containerName: string;
    backupType: BackupType;
    retainUntil?: string;
  },
  context: RunContext,
  followPollMs = 1000,
): Promise<BackupNowResult> {
  const change = changeControlOf(context.change);
  const options: CallOptions = { abortSignal: context.abortSignal };
  const { environment, vaultId } = vaultIn(context.policy, input.resourceGroup, input.vaultName);
  const [items, policies] = await readVault(input.vaultName, input.resourceGroup, () =>
    Promise.all([
      collect(ports.backups.listProtectedItems(vaultId, options)),
      collect(ports.backups.listPolicies(vaultId, options)),
    ]),
  );
  const item = findItem(items, input.itemName, input.containerName);
  const policy: BackupPolicyState | undefined = item.policyId
    ? policies.find((p) => p.id.toLowerCase() === item.policyId?.toLowerCase())
    : undefined;
  if (!policy) {
    throw new OpsError("BadRequest", `item ${item.friendlyName} has no backup policy to back up by`, {
      details: { field: "itemName" },
    });
  }
  const sub = policy.subPolicies.find((s) => s.type === input.backupType);
  if (!sub) {
    throw new OpsError(
      "BadRequest",
      `policy ${policy.name} of ${item.friendlyName} has no ${input.backupType} backup; it has: ${policy.subPolicies.map((s) => s.type).join(", ")}`,
      { details: { field: "backupType" } },
    );
  }
  const now = context.clock.now();
  let retainUntil: Date | undefined;
  if (input.retainUntil !== undefined) {
    const at = Date.parse(input.retainUntil);
    if (Number.isNaN(at)) {
      throw new OpsError("BadRequest", `--retain-until is not a date: ${input.retainUntil}`, {
        details: { field: "retainUntil" },
      });
    }
    if (at <= now.getTime()) {
      throw new OpsError("BadRequest", `--retain-until ${input.retainUntil} is in the past`, {
        details: { field: "retainUntil" },
      });
    }
    const max = sub.retentionDays === null ? undefined : now.getTime() + sub.retentionDays * dayMs;
    if (max !== undefined && at > max) {
      throw new OpsError(
        "BadRequest",
        `--retain-until ${input.retainUntil} is beyond what policy ${policy.name} keeps a ${input.backupType} backup (${sub.retentionDays} days, until ${new Date(max).toISOString().slice(0, 10)})`,
        { details: { field: "retainUntil" } },
      );
    }
    retainUntil = new Date(at);
  }

  let started: { jobId: string } | undefined;
  const waitMs = context.policy.backups.backupNowWaitMinutes * 60_000;
  const read = async (): Promise<BackupNowState> => {
    const recent = await collect(
      ports.backups.listJobs(
        vaultId,
        { since: new Date(now.getTime() - dayMs), status: "InProgress" },
        options,
      ),
    );
    const running = recent.find(
      (j) =>
        j.entityFriendlyName.toLowerCase() === item.friendlyName.toLowerCase() &&
        j.backupType !== null &&
        j.name !== started?.jobId,
    );
    const job = started ? await ports.backups.getJob(vaultId, started.jobId, options) : undefined;
    const fresh = items.find((i) => i.id === item.id);
    return {
      itemId: item.id,
      item: item.friendlyName,
      lastBackupTime: fresh?.lastBackupTime ?? null,
      running: running
        ? { jobId: running.name, operation: running.operation, startTime: running.startTime }
        : null,
      job: job
        ? { jobId: job.name, status: job.status, startTime: job.startTime, endTime: job.endTime }
        : null,
    };
  };
  const bucket = Math.floor(now.getTime() / (10 * 60_000));
  const record = await change.execute<BackupNowState>({
    naturalKey: `backup-now|${item.id.toLowerCase()}|${input.backupType}|${retainUntil?.toISOString() ?? "-"}|${bucket}`,
    defaultReason: "on-demand backup",
    environment,
    resourceId: item.id,
    action: `backup-now ${input.backupType}`,
    request: {
      itemId: item.id.toLowerCase(),
      backupType: input.backupType,
      retainUntil: retainUntil?.toISOString() ?? null,
    },
    read,
    plan: (before) =>
      before.running
        ? {
            noChange: `a backup of ${item.friendlyName} is already running (job ${before.running.jobId}, ${before.running.operation}, since ${before.running.startTime}): no second one is started`,
          }
        : {
            after: {
              ...before,
              running: null,
              job: { jobId: "(new)", status: "Completed", startTime: "", endTime: null },
            },
            summary: `${item.friendlyName}: ${input.backupType} backup now${retainUntil ? `, kept until ${retainUntil.toISOString().slice(0, 10)}` : ""}`,
          },
    apply: async (token) => {
      started = await ports.backups.triggerBackup(
        token,
        item,
        { backupType: input.backupType, ...(retainUntil ? { retainUntil } : {}) },
        options,
      );
      const deadline = Date.now() + waitMs;
      for (;;) {
        const job = await ports.backups.getJob(vaultId, started.jobId, options);
        if (job && terminal.has(job.status.toLowerCase())) {
          if (job.status.toLowerCase() === "failed" || job.status.toLowerCase() === "cancelled") {
            throw new OpsError(
              "AzureRequestFailed",
              `backup job ${job.name} ended ${job.status}: ${job.errors.map((e) => `${e.code} ${e.message}`.trim()).join("; ") || "no error given"}`,
            );
          }
          return;
        }
        if (Date.now() > deadline) {
          throw new OpsError(
            "Timeout",
            `backup job ${started.jobId} still ${job?.status ?? "unknown"} after ${context.policy.backups.backupNowWaitMinutes} min: follow it with phoenix-ops backup job list`,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, followPollMs));
      }
    },
    verify: (_after, observed) =>
      observed.job !== null &&
      ["completed", "completedwithwarnings"].includes(observed.job.status.toLowerCase()),
  });
  const jobId = started?.jobId ?? (record.observed as BackupNowState | null)?.job?.jobId;
  const job = jobId ? ((await ports.backups.getJob(vaultId, jobId, options)) ?? null) : null;
  return { change: record, job };
}
