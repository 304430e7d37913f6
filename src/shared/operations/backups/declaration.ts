import { z } from "zod";
import type { ChangeEvent } from "../../change-control/model.ts";
import { OpsError } from "../../errors.ts";
import { knownName, knownNames } from "../../names.ts";
import { backupTypes, type BackupJobState } from "../../ports/backup-vaults.ts";
import type { RunRecord } from "../../ports/run-history.ts";
import { defineProcedure } from "../../procedures/declaration.ts";
import { statuses } from "../../procedures/status.ts";
import { renderTable } from "../../render/table.ts";
import { renderChange } from "../changes/render.ts";
import { backupNow, listBackupJobs, type BackupNowResult } from "./protection.ts";
import type { BackupReport } from "./report.ts";
import { renderBackupTable } from "./render.ts";
import { BACKUP_HISTORY, verifyBackups } from "./verify.ts";

const name = z.string().min(1).max(80);
const azureName = z.string().min(1).max(260);

/** The guide's Backup Procedures: the daily check that backups happen as the schedule says. */
export const backupVerify = defineProcedure({
  name: "backup verify",
  summary: "Verify an environment's backups against the guide's schedule and restore-point freshness",
  description: `Each protected item of the environment's Recovery Services vaults is checked against the schedule
(policy backups.schedule: Full weekly / 12 weeks, Differential daily / 30 days, logs hourly / 7 days): its
policy's sub-policies and retention, the newest successful Full and Differential, the newest restorable point
(how much would be lost now) and the oldest (how far back a restore can go).
Exit codes: 0 ok, 1 warning, 2 critical, 3 unknown or error, 64 usage error.`,
  input: z
    .object({
      environment: name.default("prod").describe("environment from the ops policy"),
      vaultName: azureName.optional().describe("only this vault of the environment"),
      notify: z.boolean().default(true).describe("email the recipients when the run is not ok (once a day)"),
      record: z.boolean().default(true).describe("keep the run in the history"),
    })
    .strict(),
  ports: ["backups", "email", "runHistory"],
  run: (ports, input, context) => verifyBackups(ports, input, context),
  status: (report) => report.status,
  table: renderBackupTable,
  changesEstate: false,
  http: { method: "POST", route: "backup-verifications", auth: "Ops.Reader" },
  timer: {
    name: "backup-verify-daily",
    // Ticks hourly, runs each environment once a day at or after the policy's hour.
    schedule: "0 15 * * * *",
    period: "day",
    due: (policy, now) =>
      now.getUTCHours() >= policy.backups.hourUtc || `before ${policy.backups.hourUtc}:00 UTC`,
    scopes: (policy) =>
      Object.entries(policy.environments)
        .filter(([, env]) => env.backups !== undefined)
        .map(([scope]) => ({ scope, input: { environment: scope } })),
  },
});

interface BackupRunSummary {
  runId: string;
  environment: string;
  trigger: string;
  status: RunRecord["status"];
  startedAt: string;
  finishedAt: string;
  itemCount: number;
  notified: boolean;
}

export const backupVerificationsList = defineProcedure({
  name: "backup verifications list",
  summary: "List an environment's backup verifications, newest first",
  input: z
    .object({
      environment: name.default("prod").describe("environment from the ops policy"),
      limit: z.number().int().min(1).max(500).default(20).describe("how many runs (1 to 500)"),
      status: z.enum(statuses).optional().describe("only runs with this status"),
    })
    .strict(),
  ports: ["runHistory"],
  async run(ports, input, context) {
    if (knownName(context.policy.environments, input.environment) === undefined) {
      throw new OpsError(
        "NotFound",
        `unknown environment "${input.environment}"; known: ${knownNames(context.policy.environments)}`,
        { details: { field: "environment" } },
      );
    }
    const runs: BackupRunSummary[] = [];
    for await (const run of ports.runHistory.listRuns(BACKUP_HISTORY, input.environment, {
      abortSignal: context.abortSignal,
    })) {
      if (input.status && run.status !== input.status) continue;
      runs.push({
        runId: run.runId,
        environment: run.scope,
        trigger: run.trigger,
        status: run.status,
        startedAt: run.startedAt,
        finishedAt: run.finishedAt,
        itemCount: Number(run.facts.itemCount ?? 0),
        notified: run.facts.notified === true,
      });
      if (runs.length >= input.limit) break;
    }
    return { environment: input.environment, runs };
  },
  table: ({ runs }) =>
    runs.length === 0
      ? "No backup verifications.\n"
      : `${renderTable([
          ["RUN", "STATUS", "TRIGGER", "STARTED (UTC)", "ITEMS", "NOTIFIED"],
          ...runs.map((r) => [
            r.runId,
            r.status.toUpperCase(),
            r.trigger,
            r.startedAt.slice(0, 19).replace("T", " "),
            String(r.itemCount),
            r.notified ? "yes" : "no",
          ]),
        ]).join("\n")}\n`,
  changesEstate: false,
  http: { method: "GET", route: "backup-verifications", auth: "Ops.Reader" },
});

function jobsTable(result: { vault: string; since: string; jobs: BackupJobState[] }): string {
  if (result.jobs.length === 0) return `No backup jobs in ${result.vault} since ${result.since}.\n`;
  return `${renderTable([
    ["Name", "Operation", "Status", "Item Name", "Backup Management Type", "Start Time UTC", "Duration"],
    ...result.jobs.map((j) => [
      j.name,
      j.operation,
      j.status,
      j.entityFriendlyName,
      j.backupManagementType,
      j.startTime.replace("T", " ").slice(0, 19),
      j.duration ?? "",
    ]),
  ]).join("\n")}\n`;
}

/** The guide's `az backup job list --vault-name $VAULT_NAME --resource-group $RESOURCE_GROUP --output table`. */
export const backupJobList = defineProcedure({
  name: "backup job list",
  summary: "List a Recovery Services vault's backup jobs (az backup job list)",
  input: z
    .object({
      vaultName: azureName.describe("the Recovery Services vault"),
      resourceGroup: azureName.describe("its resource group"),
      status: z
        .enum(["InProgress", "Completed", "Failed", "CompletedWithWarnings", "Cancelled", "Cancelling"])
        .optional()
        .describe("only jobs with this status"),
      operation: z
        .enum(["Backup", "ConfigureBackup", "DeleteBackupData", "DisableBackup", "Restore"])
        .optional()
        .describe("only jobs of this operation"),
      since: z.string().min(1).max(40).default("24h").describe("jobs started since: 24h, 7d, P7D or a date"),
    })
    .strict(),
  ports: ["backups"],
  run: (ports, input, context) => listBackupJobs(ports, input, context),
  table: jobsTable,
  changesEstate: false,
  http: { method: "GET", route: "backup-jobs", auth: "Ops.Reader" },
});

function backupNowTable(result: BackupNowResult & { events: ChangeEvent[] }): string {
  const job = result.job
    ? [
        `Job:        ${result.job.name}  ${result.job.operation}  ${result.job.status}`,
        `Item:       ${result.job.entityFriendlyName}`,
        `Started:    ${result.job.startTime}`,
        `Ended:      ${result.job.endTime ?? "(running)"}   Duration: ${result.job.duration ?? ""}`,
        ...result.job.errors.map((e) => `Error:      ${e.code} ${e.message}`),
        "",
      ]
    : [];
  return `${job.join("\n")}${job.length ? "\n" : ""}${renderChange(result.change, result.events)}`;
}

/**
 * The guide's `az backup protection backup-now --item-name $ITEM_NAME --vault-name $VAULT_NAME
 * --resource-group $RESOURCE_GROUP --container-name $CONTAINER_NAME`, through change control.
 */
export const backupProtectionBackupNow = defineProcedure({
  name: "backup protection backup-now",
  summary: "Back up a protected item now (az backup protection backup-now), through change control",
  description: `The item and its policy are read; the backup type must be one the policy has and --retain-until
in the future and within the policy's retention. The trigger is recorded, sent (202), its operation followed to
the backup job, and the job followed to its end. --dry-run checks and records without a backup. The same
request again while one runs (or within ten minutes, or with the same --key) starts no second backup.
Exit codes: 0 done (or rehearsed, or one already running), 1 blocked, 2 failed, 64 usage error.`,
  input: z
    .object({
      itemName: azureName.describe("the protected item (its name or friendly name, e.g. the database)"),
      vaultName: azureName.describe("the Recovery Services vault"),
      resourceGroup: azureName.describe("the vault's resource group"),
      containerName: azureName.describe("the protection container (its name or the VM's name)"),
      backupType: z.enum(backupTypes).default("Full").describe("Full, Differential or Log (SQL in a VM)"),
      retainUntil: z
        .string()
        .min(8)
        .max(40)
        .optional()
        .describe("keep the recovery point until this date (UTC, e.g. 2027-01-31); the policy's otherwise"),
    })
    .strict(),
  ports: ["backups", "changes"],
  run: async (ports, input, context) => {
    const result = await backupNow(ports, input, context);
    return {
      ...result,
      events: await ports.changes.listEvents(result.change.id, { abortSignal: context.abortSignal }),
    };
  },
  status: ({ change }) =>
    change.status === "failed"
      ? "critical"
      : change.status === "blocked" || change.status === "in-flight" || change.status === "started"
        ? "warning"
        : "ok",
  table: backupNowTable,
  changesEstate: true,
  http: { method: "POST", route: "backups", auth: "Ops.Operator" },
});

export type { BackupReport };
