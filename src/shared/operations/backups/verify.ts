import { randomUUID } from "node:crypto";
import pLimit from "p-limit";
import type { EnvironmentPolicy, OpsPolicy } from "../../config/policy.ts";
import { OpsError, describeError } from "../../errors.ts";
import { knownName, knownNames } from "../../names.ts";
import type { BackupJobState, BackupPolicyState, ProtectedItemState } from "../../ports/backup-vaults.ts";
import type { Ports } from "../../ports/catalogue.ts";
import type { RunContext } from "../../procedures/declaration.ts";
import { worstOf } from "../../procedures/status.ts";
import { renderBackupEmail } from "./render.ts";
import type { BackupReport, VaultResult } from "./report.ts";
import { durationMs, scheduleFor, verifyItem } from "./schedule.ts";

export type BackupVerifyPorts = Pick<Ports, "backups" | "email" | "runHistory">;

/** The name verifications are kept under in the run history. */
export const BACKUP_HISTORY = "backups";

/** Vaults read at once. */
const vaultConcurrency = 16;
/**
 * A vault's jobs are read in time slices at once, not as one list paged in series: two weeks of jobs
 * are many pages, and each page waits for the one before it. Calls still grow with vaults and the
 * window, never with items.
 */
const jobSliceMs = 2 * 86_400_000;
const jobSliceConcurrency = 32;

/** [since, until) cut into slices of at most `sliceMs`. */
export function timeSlices(since: Date, until: Date, sliceMs = jobSliceMs): [Date, Date][] {
  const out: [Date, Date][] = [];
  for (let start = since.getTime(); start < until.getTime(); start += sliceMs) {
    out.push([new Date(start), new Date(Math.min(start + sliceMs, until.getTime()))]);
  }
  return out;
}

export function backupEnvironment(
  policy: OpsPolicy,
  environment: string,
): EnvironmentPolicy & { backups: NonNullable<EnvironmentPolicy["backups"]> } {
  const env = knownName(policy.environments, environment);
  if (!env) {
    throw new OpsError(
      "NotFound",
      `unknown environment "${environment}"; known: ${knownNames(policy.environments)}`,
      {
        details: { field: "environment" },
      },
    );
  }
  if (!env.backups) {
    throw new OpsError(
      "BadRequest",
      `environment "${environment}" names no backup vaults (environments.${environment}.backups.vaults in the ops policy)`,
      { details: { field: "environment" } },
    );
  }
  return env as EnvironmentPolicy & { backups: NonNullable<EnvironmentPolicy["backups"]> };
}

/** How far back jobs are read: two Full periods and the grace, so a missed Full shows its real age. */
export function jobsWindowMs(policy: OpsPolicy): number {
  const full = policy.backups.schedule.full;
  return 2 * (full ? durationMs(full.every) : 24 * 3_600_000) + policy.backups.graceHours * 3_600_000;
}

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const value of iterable) out.push(value);
  return out;
}

/**
 * The guide's backup verification: every protected item of the environment's vaults against the
 * schedule. Each vault is read with three paged lists at once (items, policies, jobs of the window),
 * never per item; a vault that cannot be read is unknown and the others are still checked.
 */
export async function verifyBackups(
  ports: BackupVerifyPorts,
  input: { environment: string; vaultName?: string; notify?: boolean; record?: boolean },
  context: RunContext,
): Promise<BackupReport> {
  const { policy, clock, logger } = context;
  const env = backupEnvironment(policy, input.environment);
  let vaultIds = env.backups.vaults;
  if (input.vaultName !== undefined) {
    const wanted = input.vaultName.toLowerCase();
    vaultIds = vaultIds.filter((id) => id.split("/").pop()?.toLowerCase() === wanted);
    if (vaultIds.length === 0) {
      throw new OpsError(
        "NotFound",
        `no vault "${input.vaultName}" in ${input.environment}; known: ${env.backups.vaults.map((v) => v.split("/").pop()).join(", ")}`,
        { details: { field: "vaultName" } },
      );
    }
  }
  const startedAt = clock.now();
  const runId = `${startedAt.toISOString().replace(/[-:.]/g, "").slice(0, 15)}-${randomUUID().slice(0, 8)}`;
  const jobsSince = new Date(startedAt.getTime() - jobsWindowMs(policy));
  const options = { abortSignal: context.abortSignal };
  const limit = pLimit(vaultConcurrency);
  const sliceLimit = pLimit(jobSliceConcurrency);
  const readJobs = async (vaultId: string): Promise<BackupJobState[]> => {
    const parts = await Promise.all(
      timeSlices(jobsSince, startedAt).map(([since, until]) =>
        sliceLimit(() => collect(ports.backups.listJobs(vaultId, { since, until }, options))),
      ),
    );
    // A job starting on a slice's edge is in both slices.
    const byId = new Map(parts.flat().map((job) => [job.id.toLowerCase(), job]));
    return [...byId.values()].sort((a, b) => b.startTime.localeCompare(a.startTime));
  };

  const vaults = await Promise.all(
    vaultIds.map((vaultId) =>
      limit(async (): Promise<VaultResult> => {
        const name = vaultId.split("/").pop() ?? vaultId;
        let items: ProtectedItemState[];
        let policies: BackupPolicyState[];
        let jobs: BackupJobState[];
        try {
          [items, policies, jobs] = await Promise.all([
            collect(ports.backups.listProtectedItems(vaultId, options)),
            collect(ports.backups.listPolicies(vaultId, options)),
            readJobs(vaultId),
          ]);
        } catch (error) {
          logger.warn("backup vault could not be read", { vaultId, error: describeError(error) });
          return { vaultId, name, status: "unknown", error: describeError(error), items: [] };
        }
        const byId = new Map(policies.map((p) => [p.id.toLowerCase(), p]));
        const results = items.map((item) =>
          verifyItem({
            item,
            policy: item.policyId ? byId.get(item.policyId.toLowerCase()) : undefined,
            jobs,
            schedule: scheduleFor(policy, input.environment, item.friendlyName),
            graceHours: policy.backups.graceHours,
            jobsSince,
            now: startedAt,
          }),
        );
        return {
          vaultId,
          name,
          // A vault with nothing protected protects nothing: that is not good news.
          status: results.length === 0 ? "unknown" : worstOf(results.map((r) => r.status)),
          error: results.length === 0 ? "the vault has no protected items" : null,
          items: results,
        };
      }),
    ),
  );

  const report: BackupReport = {
    runId,
    environment: input.environment,
    trigger: context.trigger,
    startedAt: startedAt.toISOString(),
    finishedAt: clock.now().toISOString(),
    status: worstOf(vaults.map((v) => v.status)),
    jobsSince: jobsSince.toISOString(),
    vaults,
    notification: null,
  };

  if (report.status !== "ok" && input.notify !== false) {
    // Once a day per environment, however often it runs: the day is the email's key.
    const key = context.scheduled?.key ?? `backups|${report.environment}|${report.startedAt.slice(0, 10)}`;
    const { subject, html, text } = renderBackupEmail(report);
    try {
      await ports.email.send({ to: env.recipients, subject, html, text, idempotencyKey: key }, options);
      report.notification = { sent: true, recipients: env.recipients };
    } catch (error) {
      logger.error("backup verification email failed", { runId, error: describeError(error) });
      report.notification = { sent: false, recipients: env.recipients, error: describeError(error) };
    }
  }
  if (input.record !== false) {
    await ports.runHistory.saveRun(
      {
        procedure: BACKUP_HISTORY,
        scope: report.environment,
        runId,
        trigger: report.trigger,
        status: report.status,
        startedAt: report.startedAt,
        finishedAt: report.finishedAt,
        facts: {
          itemCount: vaults.reduce((n, v) => n + v.items.length, 0),
          vaultCount: vaults.length,
          notified: report.notification?.sent ?? false,
        },
      },
      report,
      options,
    );
  }
  logger.info("backup verification finished", {
    runId,
    environment: report.environment,
    status: report.status,
    vaults: vaults.length,
  });
  return report;
}
