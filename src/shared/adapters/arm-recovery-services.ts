import type { RecoveryServicesBackupClient } from "@azure/arm-recoveryservicesbackup";
import { z } from "zod";
import type { ChangeToken } from "../change-control/change-token.ts";
import { OpsError, fromAzureError } from "../errors.ts";
import type {
  BackupJobFilter,
  BackupJobState,
  BackupPolicyState,
  BackupRequest,
  BackupSubPolicy,
  BackupType,
  BackupVaults,
  ProtectedItemState,
  TriggeredBackup,
} from "../ports/backup-vaults.ts";
import type { CallOptions } from "../ports/call-options.ts";

/**
 * Recovery Services vaults through Resource Manager (@azure/arm-recoveryservicesbackup). A verification
 * reads three paged lists per vault (protected items, policies, jobs in a time range), never per item.
 * The trigger is Backups_Trigger: a 202 whose `Azure-AsyncOperation` names the operation; its status
 * (protectedItems/{item}/operationsStatus/{id}) ends with the job it started.
 */
export class ArmRecoveryServices implements BackupVaults {
  constructor(
    private readonly client: (subscriptionId: string) => RecoveryServicesBackupClient,
    private readonly pollIntervalInMs = 1000,
  ) {}

  async *listProtectedItems(vaultId: string, options: CallOptions = {}): AsyncIterable<ProtectedItemState> {
    const vault = parseVaultId(vaultId);
    try {
      for await (const raw of this.client(vault.subscriptionId).backupProtectedItems.list(
        vault.name,
        vault.resourceGroup,
        { abortSignal: options.abortSignal },
      )) {
        const item = protectedItemOf(raw, vault.id);
        if (item) yield item;
      }
    } catch (error) {
      throw fromAzureError(error, `Recovery Services vault ${vault.name}`);
    }
  }

  async *listPolicies(vaultId: string, options: CallOptions = {}): AsyncIterable<BackupPolicyState> {
    const vault = parseVaultId(vaultId);
    try {
      for await (const raw of this.client(vault.subscriptionId).backupPolicies.list(
        vault.name,
        vault.resourceGroup,
        { abortSignal: options.abortSignal },
      )) {
        const policy = policyOf(raw);
        if (policy) yield policy;
      }
    } catch (error) {
      throw fromAzureError(error, `Recovery Services vault ${vault.name}`);
    }
  }

  async *listJobs(
    vaultId: string,
    filter: BackupJobFilter,
    options: CallOptions = {},
  ): AsyncIterable<BackupJobState> {
    const vault = parseVaultId(vaultId);
    try {
      for await (const raw of this.client(vault.subscriptionId).backupJobs.list(
        vault.name,
        vault.resourceGroup,
        {
          filter: jobFilter(filter),
          abortSignal: options.abortSignal,
        },
      )) {
        const job = jobOf(raw, vault.id);
        if (job) yield job;
      }
    } catch (error) {
      throw fromAzureError(error, `Recovery Services vault ${vault.name}`);
    }
  }

  async getJob(
    vaultId: string,
    jobId: string,
    options: CallOptions = {},
  ): Promise<BackupJobState | undefined> {
    const vault = parseVaultId(vaultId);
    try {
      const raw = await this.client(vault.subscriptionId).jobDetails.get(
        vault.name,
        vault.resourceGroup,
        jobId,
        {
          abortSignal: options.abortSignal,
        },
      );
      return jobOf(raw, vault.id);
    } catch (error) {
      const classified = fromAzureError(error, `backup job ${jobId}`);
      if (classified.code === "NotFound") return undefined;
      throw classified;
    }
  }

  async triggerBackup(
    token: ChangeToken,
    item: Pick<ProtectedItemState, "id" | "vaultId" | "containerName" | "name" | "backupManagementType">,
    request: BackupRequest,
    options: CallOptions = {},
  ): Promise<TriggeredBackup> {
    token.assertFor(item.id);
    const vault = parseVaultId(item.vaultId);
    const client = this.client(vault.subscriptionId);
    const expiry = request.retainUntil ? { recoveryPointExpiryTimeInUTC: request.retainUntil } : {};
    const properties =
      item.backupManagementType.toLowerCase() === "azureiaasvm"
        ? { objectType: "IaasVMBackupRequest" as const, ...expiry }
        : {
            objectType: "AzureWorkloadBackupRequest" as const,
            backupType: request.backupType,
            enableCompression: false,
            ...expiry,
          };
    let asyncOperation: string | undefined;
    try {
      await client.backups.trigger(
        vault.name,
        vault.resourceGroup,
        "Azure",
        item.containerName,
        item.name,
        { properties },
        {
          abortSignal: options.abortSignal,
          onResponse: (response) => {
            asyncOperation =
              response.headers.get("azure-asyncoperation") ?? response.headers.get("location") ?? undefined;
          },
        },
      );
    } catch (error) {
      throw fromAzureError(error, `protected item ${item.name}`);
    }
    const operationId = /\/(?:operationsStatus|operationResults)\/([^/?]+)/i.exec(asyncOperation ?? "")?.[1];
    if (!operationId) {
      throw new OpsError(
        "AzureRequestFailed",
        `the backup of ${item.name} was accepted without an operation to follow`,
      );
    }
    for (;;) {
      let status;
      try {
        status = operationStatus.parse(
          await client.protectedItemOperationStatuses.get(
            vault.name,
            vault.resourceGroup,
            "Azure",
            item.containerName,
            item.name,
            operationId,
            { abortSignal: options.abortSignal },
          ),
        );
      } catch (error) {
        throw fromAzureError(error, `backup operation ${operationId}`);
      }
      if (status.status === "Succeeded") {
        const jobId = status.properties?.jobId;
        if (!jobId) throw new OpsError("AzureRequestFailed", `backup operation ${operationId} named no job`);
        return { operationId, jobId };
      }
      if (status.status !== "InProgress") {
        throw new OpsError(
          "AzureRequestFailed",
          `the backup of ${item.name} ended ${status.status}${status.error?.message ? `: ${status.error.message}` : ""}`,
          { details: { operationId, azureCode: status.error?.code } },
        );
      }
      await sleep(this.pollIntervalInMs, options.abortSignal);
    }
  }
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new OpsError("Timeout", "aborted"));
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        reject(new OpsError("Timeout", "aborted"));
      },
      { once: true },
    );
  });
}

interface VaultRef {
  id: string;
  subscriptionId: string;
  resourceGroup: string;
  name: string;
}

const vaultIdPattern =
  /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.RecoveryServices\/vaults\/([^/]+)$/i;

export function parseVaultId(vaultId: string): VaultRef {
  const match = vaultIdPattern.exec(vaultId);
  if (!match?.[1] || !match[2] || !match[3]) {
    throw new OpsError("BadRequest", `not a Recovery Services vault id: ${vaultId}`, {
      details: { field: "vaultName" },
    });
  }
  return { id: vaultId, subscriptionId: match[1], resourceGroup: match[2], name: match[3] };
}

/** `backupManagementType eq 'AzureWorkload' and startTime eq '...' and endTime eq '...'`, as az sends it. */
export function jobFilter(filter: BackupJobFilter): string {
  const until = filter.until ?? new Date();
  const parts = [
    ...(filter.backupManagementType
      ? [`backupManagementType eq '${quote(filter.backupManagementType)}'`]
      : []),
    ...(filter.status ? [`status eq '${quote(filter.status)}'`] : []),
    ...(filter.operation ? [`operation eq '${quote(filter.operation)}'`] : []),
    `startTime eq '${filterTime(filter.since)}'`,
    `endTime eq '${filterTime(until)}'`,
  ];
  return parts.join(" and ");
}

function quote(value: string): string {
  return value.replace(/'/g, "''");
}

/** The jobs filter's time format: `2026-12-01 06:00:00 AM`, UTC. */
export function filterTime(date: Date): string {
  const iso = date.toISOString();
  const hours = date.getUTCHours();
  const twelve = hours % 12 === 0 ? 12 : hours % 12;
  return `${iso.slice(0, 10)} ${String(twelve).padStart(2, "0")}:${iso.slice(14, 19)} ${hours < 12 ? "AM" : "PM"}`;
}

const time = z
  .union([z.date(), z.string()])
  .transform((v) => (v instanceof Date ? v.toISOString() : new Date(v).toISOString()))
  .nullish()
  .catch(null);

const protectedItemSchema = z.object({
  id: z.string(),
  name: z.string(),
  properties: z
    .object({
      protectedItemType: z.string().optional(),
      backupManagementType: z.string().optional(),
      workloadType: z.string().optional(),
      friendlyName: z.string().optional(),
      containerName: z.string().optional(),
      sourceResourceId: z.string().optional(),
      policyId: z.string().optional(),
      protectionState: z.string().optional(),
      lastBackupStatus: z.string().optional(),
      lastBackupTime: time,
      lastRecoveryPoint: time,
      extendedInfo: z.object({ oldestRecoveryPoint: time }).passthrough().optional(),
    })
    .passthrough(),
});

function protectedItemOf(raw: unknown, vaultId: string): ProtectedItemState | undefined {
  const parsed = protectedItemSchema.safeParse(raw);
  if (!parsed.success) return undefined;
  const { id, name, properties: p } = parsed.data;
  const container = /\/protectionContainers\/([^/]+)\//i.exec(id)?.[1] ?? p.containerName ?? "";
  const last =
    [p.lastBackupTime, p.lastRecoveryPoint]
      .filter((t): t is string => !!t)
      .sort()
      .pop() ?? null;
  return {
    id,
    name,
    friendlyName: p.friendlyName ?? name,
    containerName: container,
    vaultId,
    backupManagementType: p.backupManagementType ?? "",
    workloadType: p.workloadType ?? "",
    policyId: p.policyId ?? null,
    protectionState: p.protectionState ?? null,
    lastBackupStatus: p.lastBackupStatus ?? null,
    lastBackupTime: last,
    oldestRecoveryPoint: p.extendedInfo?.oldestRecoveryPoint ?? null,
    sourceResourceId: p.sourceResourceId ?? null,
  };
}

const retentionDuration = z.object({ count: z.number(), durationType: z.string() }).partial();
const retentionSchedule = z.object({ retentionDuration: retentionDuration.optional() }).passthrough();
const subPolicySchema = z.object({
  policyType: z.string(),
  schedulePolicy: z
    .object({
      schedulePolicyType: z.string().optional(),
      scheduleRunFrequency: z.string().optional(),
      scheduleRunDays: z.array(z.string()).optional(),
      scheduleFrequencyInMins: z.number().optional(),
    })
    .passthrough()
    .optional(),
  retentionPolicy: z
    .object({
      retentionPolicyType: z.string().optional(),
      retentionDuration: retentionDuration.optional(),
      dailySchedule: retentionSchedule.optional(),
      weeklySchedule: retentionSchedule.optional(),
      monthlySchedule: retentionSchedule.optional(),
      yearlySchedule: retentionSchedule.optional(),
    })
    .passthrough()
    .optional(),
});
const policySchema = z.object({
  id: z.string(),
  name: z.string(),
  properties: z
    .object({
      backupManagementType: z.string(),
      subProtectionPolicy: z.array(subPolicySchema).optional(),
      schedulePolicy: subPolicySchema.shape.schedulePolicy,
      retentionPolicy: subPolicySchema.shape.retentionPolicy,
    })
    .passthrough(),
});

const unitDays: Record<string, number> = { days: 1, weeks: 7, months: 30, years: 365 };

function daysOf(duration: z.infer<typeof retentionDuration> | undefined): number | null {
  if (!duration?.count || !duration.durationType) return null;
  const unit = unitDays[duration.durationType.toLowerCase()];
  return unit === undefined ? null : duration.count * unit;
}

function subPolicyOf(raw: z.infer<typeof subPolicySchema>): BackupSubPolicy {
  const schedule = raw.schedulePolicy;
  const retention = raw.retentionPolicy;
  // A long-term retention keeps points by its daily, weekly, monthly and yearly schedules: the guide's
  // retention is how long the regular points (daily or weekly) are kept.
  const kept = [
    daysOf(retention?.retentionDuration),
    daysOf(retention?.dailySchedule?.retentionDuration),
    daysOf(retention?.weeklySchedule?.retentionDuration),
  ].filter((d): d is number => d !== null);
  const type = (["Full", "Differential", "Log", "CopyOnlyFull", "Incremental"] as const).find(
    (t) => t.toLowerCase() === raw.policyType.toLowerCase(),
  );
  return {
    type: type ?? "Full",
    frequency:
      schedule?.schedulePolicyType?.toLowerCase() === "logschedulepolicy"
        ? "Minutes"
        : (schedule?.scheduleRunFrequency ?? "Unknown"),
    days: schedule?.scheduleRunDays ?? [],
    intervalMinutes: schedule?.scheduleFrequencyInMins ?? null,
    retentionDays: kept.length > 0 ? Math.max(...kept) : null,
  };
}

function policyOf(raw: unknown): BackupPolicyState | undefined {
  const parsed = policySchema.safeParse(raw);
  if (!parsed.success) return undefined;
  const p = parsed.data.properties;
  const subPolicies = p.subProtectionPolicy
    ? p.subProtectionPolicy.map(subPolicyOf)
    : // An IaaS VM policy is one schedule and its retention: its backups are full snapshots.
      [
        subPolicyOf({
          policyType: "Full",
          schedulePolicy: p.schedulePolicy,
          retentionPolicy: p.retentionPolicy,
        }),
      ];
  return {
    id: parsed.data.id,
    name: parsed.data.name,
    backupManagementType: p.backupManagementType,
    subPolicies,
  };
}

const jobSchema = z.object({
  id: z.string(),
  name: z.string(),
  properties: z
    .object({
      entityFriendlyName: z.string().optional(),
      backupManagementType: z.string().optional(),
      operation: z.string().optional(),
      status: z.string().optional(),
      startTime: time,
      endTime: time,
      duration: z.union([z.string(), z.number()]).optional(),
      errorDetails: z
        .array(
          z
            .object({
              errorCode: z.union([z.string(), z.number()]).optional(),
              errorString: z.string().optional(),
              errorTitle: z.string().optional(),
              errorMessage: z.string().optional(),
            })
            .passthrough(),
        )
        .optional(),
      extendedInfo: z
        .object({ propertyBag: z.record(z.string(), z.string()).optional() })
        .passthrough()
        .optional(),
    })
    .passthrough(),
});

/** A backup job's type: from its operation ("Backup (Full)") or its property bag ("Backup Type"). */
export function backupTypeOf(operation: string, propertyBag?: Record<string, string>): BackupType | null {
  const text =
    `${operation} ${propertyBag?.["Backup Type"] ?? propertyBag?.["BackupType"] ?? ""}`.toLowerCase();
  if (!text.includes("backup") && !propertyBag?.["Backup Type"]) return null;
  if (text.includes("differential")) return "Differential";
  if (text.includes("log")) return "Log";
  if (text.includes("full") || operation.toLowerCase() === "backup") return "Full";
  return null;
}

function jobOf(raw: unknown, vaultId: string): BackupJobState | undefined {
  const parsed = jobSchema.safeParse(raw);
  if (!parsed.success) return undefined;
  const p = parsed.data.properties;
  const operation = p.operation ?? "";
  return {
    id: parsed.data.id,
    name: parsed.data.name,
    vaultId,
    entityFriendlyName: p.entityFriendlyName ?? "",
    backupManagementType: p.backupManagementType ?? "",
    operation,
    backupType: operation.toLowerCase().startsWith("backup")
      ? backupTypeOf(operation, p.extendedInfo?.propertyBag)
      : null,
    status: p.status ?? "Unknown",
    startTime: p.startTime ?? "",
    endTime: p.endTime ?? null,
    duration: p.duration === undefined ? null : String(p.duration),
    errors: (p.errorDetails ?? []).map((e) => ({
      code: String(e.errorCode ?? ""),
      message: e.errorString ?? e.errorMessage ?? e.errorTitle ?? "",
    })),
  };
}

const operationStatus = z.object({
  status: z.string().optional().default("InProgress"),
  error: z.object({ code: z.string().optional(), message: z.string().optional() }).nullish(),
  properties: z.object({ jobId: z.string().optional() }).passthrough().nullish(),
});
