import { randomUUID } from "node:crypto";
import { z } from "zod";
import type { EstateContext } from "../context.ts";
import { idKey } from "../model/ids.ts";
import {
  type BackupItemRecord,
  type BackupJobRecord,
  type BackupModel,
  type BackupScenario,
  type VaultRecord,
} from "../model/backups.ts";
import { azureError, json } from "../server/replies.ts";
import type { EstateRequest, Reply, Route } from "../server/router.ts";
import { checkScope, requireApiVersion, resourceNotFound } from "./arm-resources.ts";

/**
 * Recovery Services backup (Microsoft.RecoveryServices/vaults/...), in the shapes of the official
 * examples (../shared/fixtures/azure/arm/backup-*): protected items, backup policies, backup jobs (with
 * `$filter` on time range, status, operation and management type, and `nextLink` paging), job details,
 * and the on-demand backup: Backups_Trigger answers 202 with `Azure-AsyncOperation`
 * (protectedItems/{item}/operationsStatus/{id}: InProgress, then Succeeded naming the job it started,
 * or Failed) and `Location` (operationResults/{id}: 202, then 204); the job runs InProgress, then
 * Completed. Ids start `/Subscriptions/` as the service writes them.
 */

/** Backup jobs per page; Azure's own page is small too, so a month of jobs pages several times. */
export const jobsPageSize = 50;

const vaultPath =
  "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroup}/providers/Microsoft.RecoveryServices/vaults/{vault}";
const itemPath = `${vaultPath}/backupFabrics/{fabric}/protectionContainers/{container}/protectedItems/{item}`;

function vaultIdOf(params: Record<string, string>): string {
  return `/subscriptions/${params["subscriptionId"] ?? ""}/resourceGroups/${params["resourceGroup"] ?? ""}/providers/Microsoft.RecoveryServices/vaults/${params["vault"] ?? ""}`;
}

/** As the service writes ids: `/Subscriptions/…`. */
function serviceId(vaultId: string): string {
  return vaultId.replace(/^\/subscriptions\//i, "/Subscriptions/");
}

function iso(date: Date): string {
  return date.toISOString().replace("Z", "0000Z");
}

function durationOf(ms: number): string {
  return `PT${(ms / 1000).toFixed(4).replace(/\.?0+$/, "")}S`;
}

/** `$filter`: `a eq 'x' and b eq 'y'`, the only form the backup lists take. */
export function parseFilter(text: string | undefined): Map<string, string> | Reply {
  const filter = new Map<string, string>();
  if (!text) return filter;
  for (const clause of text.split(/\s+and\s+/i)) {
    const match = /^\s*(\w+)\s+eq\s+'((?:[^']|'')*)'\s*$/i.exec(clause);
    if (!match?.[1]) {
      return azureError(400, "BMSUserErrorInvalidFilter", `The filter '${text}' is not valid: '${clause}'.`);
    }
    filter.set(match[1].toLowerCase(), (match[2] ?? "").replace(/''/g, "'"));
  }
  return filter;
}

/** The jobs filter's times: `2026-12-01 06:00:00 AM` (what az and the SDK send) or ISO 8601. */
export function parseFilterTime(text: string): Date | undefined {
  const twelve = /^(\d{4}-\d{2}-\d{2}) (\d{1,2}):(\d{2}):(\d{2})(?:\.\d+)? (AM|PM)$/i.exec(text.trim());
  if (twelve) {
    const hours = (Number(twelve[2]) % 12) + (twelve[5]?.toUpperCase() === "PM" ? 12 : 0);
    return new Date(`${twelve[1]}T${String(hours).padStart(2, "0")}:${twelve[3]}:${twelve[4]}Z`);
  }
  const parsed = Date.parse(text);
  return Number.isNaN(parsed) ? undefined : new Date(parsed);
}

function itemId(item: BackupItemRecord): string {
  return `${serviceId(item.vaultId)}/backupFabrics/Azure/protectionContainers/${item.containerName}/protectedItems/${item.name}`;
}

function policyId(vaultId: string, name: string): string {
  return `${serviceId(vaultId)}/backupPolicies/${name}`;
}

export class RecoveryServicesSurface {
  constructor(
    private readonly ctx: EstateContext,
    private readonly model: BackupModel,
    private readonly scenarioOf: () => BackupScenario,
  ) {}

  private itemBody(item: BackupItemRecord, now: Date): unknown {
    const scenario = this.scenarioOf();
    const last = this.model.lastBackupTime(item, scenario, now).toISOString();
    const oldest = this.model.oldestRecoveryPoint(item, scenario).toISOString();
    const common = {
      friendlyName: item.friendlyName,
      protectionStatus: "Healthy",
      protectionState: "Protected",
      lastBackupTime: last,
      containerName: item.containerName,
      sourceResourceId: item.vmId,
      policyId: policyId(item.vaultId, item.policyName),
      policyName: item.policyName,
    };
    if (item.kind === "vm") {
      return {
        id: itemId(item),
        name: item.name,
        type: "Microsoft.RecoveryServices/vaults/backupFabrics/protectionContainers/protectedItems",
        properties: {
          ...common,
          virtualMachineId: item.vmId,
          healthStatus: "Passed",
          lastBackupStatus: "Completed",
          protectedItemType: "Microsoft.Compute/virtualMachines",
          backupManagementType: "AzureIaasVM",
          workloadType: "VM",
          lastRecoveryPoint: last,
          extendedInfo: { oldestRecoveryPoint: oldest, recoveryPointCount: 30, policyInconsistent: false },
        },
      };
    }
    return {
      id: itemId(item),
      name: item.name,
      type: "Microsoft.RecoveryServices/vaults/backupFabrics/protectionContainers/protectedItems",
      properties: {
        ...common,
        protectedItemType: "AzureVmWorkloadSQLDatabase",
        serverName: item.containerName.split(";").pop(),
        parentName: "MSSQLSERVER",
        parentType: "AzureVmWorkloadSQLInstance",
        lastBackupStatus: "Healthy",
        protectedItemDataSourceId: randomUUIDFor(item),
        protectedItemHealthStatus: "Healthy",
        backupManagementType: "AzureWorkload",
        workloadType: "SQLDataBase",
        extendedInfo: {
          oldestRecoveryPoint: oldest,
          recoveryPointCount: 120,
          policyState: "Consistent",
          recoveryModel: "Full",
        },
      },
    };
  }

  private policyBody(vault: VaultRecord, name: string, kind: "sql" | "vm"): unknown {
    const scenario = this.scenarioOf();
    const time = "2026-01-04T22:00:00Z";
    const base = {
      id: policyId(vault.id, name),
      name,
      type: "Microsoft.RecoveryServices/vaults/backupPolicies",
    };
    const count = vault.items.filter((i) => i.policyName === name).length;
    if (kind === "vm") {
      return {
        ...base,
        properties: {
          backupManagementType: "AzureIaasVM",
          schedulePolicy: {
            schedulePolicyType: "SimpleSchedulePolicy",
            scheduleRunFrequency: "Daily",
            scheduleRunTimes: [time],
            scheduleWeeklyFrequency: 0,
          },
          retentionPolicy: {
            retentionPolicyType: "LongTermRetentionPolicy",
            dailySchedule: { retentionTimes: [time], retentionDuration: { count: 30, durationType: "Days" } },
          },
          timeZone: "UTC",
          instantRpRetentionRangeInDays: 2,
          protectedItemsCount: count,
        },
      };
    }
    // The scenario's short retention is on the policy of the demo database: the demo vault's only SQL policy.
    const targeted = vault.items.some((i) => i.scenarioTarget && i.policyName === name);
    const fullWeeks = targeted && scenario.fullRetentionWeeks ? scenario.fullRetentionWeeks : 12;
    return {
      ...base,
      properties: {
        backupManagementType: "AzureWorkload",
        workLoadType: "SQLDataBase",
        settings: { timeZone: "UTC", issqlcompression: false, isCompression: false },
        subProtectionPolicy: [
          {
            policyType: "Full",
            schedulePolicy: {
              schedulePolicyType: "SimpleSchedulePolicy",
              scheduleRunFrequency: "Weekly",
              scheduleRunDays: ["Sunday"],
              scheduleRunTimes: [time],
              scheduleWeeklyFrequency: 0,
            },
            retentionPolicy: {
              retentionPolicyType: "LongTermRetentionPolicy",
              weeklySchedule: {
                daysOfTheWeek: ["Sunday"],
                retentionTimes: [time],
                retentionDuration: { count: fullWeeks, durationType: "Weeks" },
              },
            },
          },
          {
            policyType: "Differential",
            schedulePolicy: {
              schedulePolicyType: "SimpleSchedulePolicy",
              scheduleRunFrequency: "Weekly",
              scheduleRunDays: ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"],
              scheduleRunTimes: [time],
              scheduleWeeklyFrequency: 0,
            },
            retentionPolicy: {
              retentionPolicyType: "SimpleRetentionPolicy",
              retentionDuration: { count: 30, durationType: "Days" },
            },
          },
          {
            policyType: "Log",
            schedulePolicy: { schedulePolicyType: "LogSchedulePolicy", scheduleFrequencyInMins: 60 },
            retentionPolicy: {
              retentionPolicyType: "SimpleRetentionPolicy",
              retentionDuration: { count: 7, durationType: "Days" },
            },
          },
        ],
        protectedItemsCount: count,
      },
    };
  }

  private jobBody(job: BackupJobRecord, now: Date, details = false): unknown {
    const state = this.model.jobStatus(job, this.scenarioOf(), now);
    const end = state.endTime ?? now;
    const vm = job.item.kind === "vm";
    return {
      id: `${serviceId(job.vaultId)}/backupJobs/${job.name}`,
      name: job.name,
      type: "Microsoft.RecoveryServices/vaults/backupJobs",
      properties: {
        jobType: vm ? "AzureIaaSVMJob" : "AzureWorkloadJob",
        duration: durationOf(end.getTime() - job.startTime.getTime()),
        ...(vm ? { virtualMachineVersion: "Compute" } : { workloadType: "SQLDataBase" }),
        ...(state.errors.length
          ? {
              errorDetails: state.errors.map((e) => ({
                errorCode: 400000 + (e.code.length % 100),
                errorString: e.message,
                errorTitle: e.code,
                recommendations: ["Retry the operation after the cause is fixed."],
              })),
            }
          : {}),
        ...(details
          ? {
              extendedInfo: {
                tasksList: [],
                propertyBag: vm
                  ? { "VM Name": job.item.friendlyName }
                  : { "Backup Type": job.backupType, "Database Name": job.item.friendlyName },
              },
            }
          : {}),
        entityFriendlyName: job.item.friendlyName,
        backupManagementType: vm ? "AzureIaasVM" : "AzureWorkload",
        operation: job.operation,
        status: state.status,
        startTime: iso(job.startTime),
        ...(state.endTime ? { endTime: iso(state.endTime) } : {}),
        activityId: job.name,
      },
    };
  }

  private vaultOr404(request: EstateRequest): VaultRecord | Reply {
    const version = requireApiVersion(request);
    if (version) return version;
    const params = request.params;
    const scope = checkScope(this.ctx, {
      subscriptionId: params["subscriptionId"] ?? "",
      resourceGroup: params["resourceGroup"] ?? "",
    });
    if (scope) return scope;
    const vaultId = vaultIdOf(params);
    const vault = this.model.vault(vaultId);
    // The model holds every vault the estate serves (the demo's, and those a benchmark adds).
    if (!vault) return resourceNotFound(vaultId);
    return vault;
  }

  private itemOr404(request: EstateRequest): { vault: VaultRecord; item: BackupItemRecord } | Reply {
    const vault = this.vaultOr404(request);
    if ("status" in vault) return vault;
    const { fabric = "", container = "", item: name = "" } = request.params;
    const item = vault.items.find(
      (i) =>
        fabric.toLowerCase() === "azure" &&
        idKey(i.containerName) === idKey(container) &&
        idKey(i.name) === idKey(name),
    );
    if (!item) {
      return azureError(
        404,
        "BMSUserErrorNodeNotFound",
        `Item ${name} in container ${container} could not be found in vault ${request.params["vault"] ?? ""}.`,
      );
    }
    return { vault, item };
  }

  /** A page of a list, with a nextLink keeping the caller's query. */
  private page(request: EstateRequest, values: unknown[], size: number): Reply {
    const skip = Math.max(0, Number.parseInt(request.query.get("$skiptoken") ?? "0", 10) || 0);
    const body: { value: unknown[]; nextLink?: string } = { value: values.slice(skip, skip + size) };
    if (skip + size < values.length) {
      const next = new URL(request.url.toString());
      next.searchParams.delete("$skiptoken");
      next.searchParams.delete("$skipToken");
      const search = next.search ? `${next.search}&` : "?";
      body.nextLink = `${this.ctx.url}${next.pathname}${search}$skipToken=${skip + size}`;
    }
    return json(body);
  }

  routes(): Route[] {
    return [
      {
        method: "GET",
        path: `${vaultPath}/backupProtectedItems`,
        access: "token",
        armRead: true,
        name: "backup.protected-items",
        handle: (request) => {
          const vault = this.vaultOr404(request);
          if ("status" in vault) return vault;
          const filter = parseFilter(request.query.get("$filter"));
          if (filter instanceof Map === false) return filter;
          const management = filter.get("backupmanagementtype")?.toLowerCase();
          const now = new Date();
          const items = vault.items.filter(
            (i) => !management || (i.kind === "vm" ? "azureiaasvm" : "azureworkload") === management,
          );
          return this.page(
            request,
            items.map((i) => this.itemBody(i, now)),
            200,
          );
        },
      },
      {
        method: "GET",
        path: itemPath,
        access: "token",
        armRead: true,
        name: "backup.protected-item",
        handle: (request) => {
          const found = this.itemOr404(request);
          return "status" in found ? found : json(this.itemBody(found.item, new Date()));
        },
      },
      {
        method: "GET",
        path: `${vaultPath}/backupPolicies`,
        access: "token",
        armRead: true,
        name: "backup.policies",
        handle: (request) => {
          const vault = this.vaultOr404(request);
          if ("status" in vault) return vault;
          return json({
            value: [...vault.policies].map(([name, kind]) => this.policyBody(vault, name, kind)),
          });
        },
      },
      {
        method: "GET",
        path: `${vaultPath}/backupPolicies/{policy}`,
        access: "token",
        armRead: true,
        name: "backup.policy",
        handle: (request) => {
          const vault = this.vaultOr404(request);
          if ("status" in vault) return vault;
          const wanted = request.params["policy"] ?? "";
          const entry = [...vault.policies].find(([name]) => idKey(name) === idKey(wanted));
          if (!entry)
            return azureError(404, "BMSUserErrorPolicyNotFound", `Policy ${wanted} could not be found.`);
          return json(this.policyBody(vault, entry[0], entry[1]));
        },
      },
      {
        method: "GET",
        path: `${vaultPath}/backupJobs`,
        access: "token",
        armRead: true,
        name: "backup.jobs",
        handle: (request) => {
          const vault = this.vaultOr404(request);
          if ("status" in vault) return vault;
          const filter = parseFilter(request.query.get("$filter"));
          if (filter instanceof Map === false) return filter;
          const now = new Date();
          const start = filter.has("starttime")
            ? parseFilterTime(filter.get("starttime") ?? "")
            : new Date(now.getTime() - 24 * 3_600_000);
          const end = filter.has("endtime") ? parseFilterTime(filter.get("endtime") ?? "") : now;
          if (!start || !end)
            return azureError(
              400,
              "BMSUserErrorInvalidInput",
              "Input for start time or end time is not valid.",
            );
          if (end < start)
            return azureError(400, "BMSUserErrorInvalidInput", "Start time should be less than end time.");
          const status = filter.get("status")?.toLowerCase();
          const operation = filter.get("operation")?.toLowerCase();
          const management = filter.get("backupmanagementtype")?.toLowerCase();
          const scenario = this.scenarioOf();
          const jobs = vault.jobs.filter((j) => {
            if (j.startTime < start || j.startTime > end) return false;
            if (operation && !j.operation.toLowerCase().startsWith(operation)) return false;
            if (management && (j.item.kind === "vm" ? "azureiaasvm" : "azureworkload") !== management)
              return false;
            return !status || this.model.jobStatus(j, scenario, now).status.toLowerCase() === status;
          });
          return this.page(
            request,
            jobs.map((j) => this.jobBody(j, now)),
            jobsPageSize,
          );
        },
      },
      {
        method: "GET",
        path: `${vaultPath}/backupJobs/{job}`,
        access: "token",
        armRead: true,
        name: "backup.job",
        handle: (request) => {
          const vault = this.vaultOr404(request);
          if ("status" in vault) return vault;
          const job = vault.jobs.find((j) => idKey(j.name) === idKey(request.params["job"] ?? ""));
          if (!job)
            return azureError(
              404,
              "BMSUserErrorJobNotFound",
              `Job ${request.params["job"] ?? ""} could not be found.`,
            );
          return json(this.jobBody(job, new Date(), true));
        },
      },
      {
        method: "POST",
        path: `${itemPath}/backup`,
        access: "token",
        name: "backup.trigger",
        handle: async (request) => {
          const found = this.itemOr404(request);
          if ("status" in found) return found;
          const parsed = triggerBody.safeParse(await request.json());
          if (!parsed.success) {
            return azureError(
              400,
              "BMSUserErrorInvalidInput",
              `Input is invalid: ${parsed.error.issues[0]?.message ?? "bad body"}.`,
            );
          }
          const { objectType, backupType = "Full", recoveryPointExpiryTimeInUTC } = parsed.data.properties;
          const vm = found.item.kind === "vm";
          if ((objectType === "IaasVMBackupRequest") !== vm) {
            return azureError(
              400,
              "BMSUserErrorInvalidInput",
              `${objectType} is not valid for item ${found.item.name}.`,
            );
          }
          if (vm && backupType !== "Full") {
            return azureError(
              400,
              "BMSUserErrorInvalidInput",
              `Backup type ${backupType} is not valid for a virtual machine.`,
            );
          }
          if (recoveryPointExpiryTimeInUTC && Date.parse(recoveryPointExpiryTimeInUTC) <= Date.now()) {
            return azureError(
              400,
              "BMSUserErrorInvalidInput",
              "Recovery point expiry time should be in the future.",
            );
          }
          const now = new Date();
          // Azure accepts a trigger while a backup of the item runs, and its operation fails: one at a time.
          const running = this.model.running(found.item, now);
          const operation = this.model.trigger(
            found.item,
            backupType === "CopyOnlyFull" ? "Full" : backupType,
            now,
            running
              ? {
                  code: "UserErrorBackupOperationInProgress",
                  message: `Another backup of ${found.item.friendlyName} is in progress (job ${running.name}).`,
                }
              : undefined,
          );
          this.ctx.log(`backup-now ${found.item.friendlyName} ${backupType} (operation ${operation.id})`);
          const base = `${this.ctx.url}${itemId(found.item)}`;
          const version = encodeURIComponent(request.query.get("api-version") ?? "");
          return {
            status: 202,
            headers: {
              Location: `${base}/operationResults/${operation.id}?api-version=${version}`,
              "Azure-AsyncOperation": `${base}/operationsStatus/${operation.id}?api-version=${version}`,
              "Retry-After": "1",
            },
          };
        },
      },
      {
        method: "GET",
        path: `${itemPath}/operationsStatus/{operation}`,
        access: "token",
        name: "backup.operation-status",
        handle: (request) => {
          const found = this.itemOr404(request);
          if ("status" in found) return found;
          const operation = this.model.operations.get(idKey(request.params["operation"] ?? ""));
          if (!operation || operation.item !== found.item) {
            return azureError(
              404,
              "BMSUserErrorOperationNotFound",
              `Operation ${request.params["operation"] ?? ""} could not be found.`,
            );
          }
          const now = new Date();
          const done = now.getTime() >= operation.startedAt.getTime() + operation.pendingMs;
          const failure = operation.failure;
          const body = {
            id: operation.id,
            name: operation.id,
            status: !done ? "InProgress" : failure ? "Failed" : "Succeeded",
            startTime: iso(operation.startedAt),
            ...(done ? { endTime: iso(new Date(operation.startedAt.getTime() + operation.pendingMs)) } : {}),
            ...(done && failure ? { error: failure } : {}),
            ...(done && !failure
              ? { properties: { objectType: "OperationStatusJobExtendedInfo", jobId: operation.job.name } }
              : {}),
          };
          return json(body, 200, done ? {} : { "Retry-After": "1" });
        },
      },
      {
        method: "GET",
        path: `${itemPath}/operationResults/{operation}`,
        access: "token",
        name: "backup.operation-result",
        handle: (request) => {
          const found = this.itemOr404(request);
          if ("status" in found) return found;
          const operation = this.model.operations.get(idKey(request.params["operation"] ?? ""));
          if (!operation || operation.item !== found.item) {
            return azureError(
              404,
              "BMSUserErrorOperationNotFound",
              `Operation ${request.params["operation"] ?? ""} could not be found.`,
            );
          }
          const done = Date.now() >= operation.startedAt.getTime() + operation.pendingMs;
          if (!done) {
            return { status: 202, headers: { Location: request.url.toString(), "Retry-After": "1" } };
          }
          return { status: 204 };
        },
      },
    ];
  }
}

const triggerBody = z.object({
  properties: z
    .object({
      objectType: z.enum(["AzureWorkloadBackupRequest", "IaasVMBackupRequest"]),
      backupType: z.enum(["Full", "Differential", "Log", "CopyOnlyFull"]).optional(),
      recoveryPointExpiryTimeInUTC: z.string().optional(),
      enableCompression: z.boolean().optional(),
    })
    .passthrough(),
});

const dataSourceIds = new Map<BackupItemRecord, string>();
function randomUUIDFor(item: BackupItemRecord): string {
  let id = dataSourceIds.get(item);
  if (!id) {
    id = randomUUID();
    dataSourceIds.set(item, id);
  }
  return id;
}
