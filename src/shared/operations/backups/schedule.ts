import { type BackupSchedulePolicy, backupDurationPattern, type OpsPolicy } from "../../config/policy.ts";
import { knownName } from "../../names.ts";
import type {
  BackupJobState,
  BackupPolicyState,
  BackupSubPolicy,
  BackupType,
  ProtectedItemState,
} from "../../ports/backup-vaults.ts";
import { worstOf } from "../../procedures/status.ts";
import type { BackupCheck, ItemResult } from "./report.ts";

const hourMs = 3_600_000;
const dayMs = 24 * hourMs;

/** A schedule duration in milliseconds (P12W, P30D, PT1H, PT30M). */
export function durationMs(text: string): number {
  const [, w, d, h, m] = backupDurationPattern.exec(text) ?? [];
  if (w) return Number(w) * 7 * dayMs;
  if (d) return Number(d) * dayMs;
  if (h) return Number(h) * hourMs;
  if (m) return Number(m) * 60_000;
  return 0;
}

/** A duration for people: "3 h 5 min", "9 days 2 h", "12 weeks". */
export function describeAge(ms: number): string {
  if (ms < 0) return "in the future";
  const minutes = Math.round(ms / 60_000);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return minutes % 60 === 0 ? `${hours} h` : `${hours} h ${minutes % 60} min`;
  const days = Math.floor(hours / 24);
  return hours % 24 === 0 ? `${days} days` : `${days} days ${hours % 24} h`;
}

function describeDays(days: number): string {
  return days % 7 === 0 && days >= 14 ? `${days / 7} weeks (${days} days)` : `${days} days`;
}

type Expectation = { every: string; retention: string } | null;

/** The schedule an item is held to: the policy's, then its environment's, then the item's own. */
export function scheduleFor(
  policy: OpsPolicy,
  environment: string,
  friendlyName: string,
): Record<"full" | "differential" | "log", Expectation> {
  const env = knownName(policy.environments, environment)?.backups;
  const layers: (BackupSchedulePolicy | undefined)[] = [
    policy.backups.schedule,
    env?.schedule,
    env?.items ? knownName(env.items, friendlyName) : undefined,
  ];
  const pick = (key: "full" | "differential" | "log"): Expectation => {
    let value: Expectation = null;
    for (const layer of layers) if (layer && layer[key] !== undefined) value = layer[key] ?? null;
    return value;
  };
  return { full: pick("full"), differential: pick("differential"), log: pick("log") };
}

const succeeded = new Set(["completed", "completedwithwarnings"]);
const failedStatuses = new Set(["failed", "cancelled", "completedwithwarnings"]);

function check(
  label: string,
  value: string | null,
  expected: string,
  status: BackupCheck["status"],
  reason: string,
): BackupCheck {
  return { label, value, expected, status, reason };
}

function subPolicy(policy: BackupPolicyState | undefined, type: BackupType): BackupSubPolicy | undefined {
  return policy?.subPolicies.find((s) => s.type === type);
}

/** Whether a job belongs to an item: jobs name the item by its friendly name only. */
export function jobOfItem(job: BackupJobState, item: ProtectedItemState): boolean {
  return (
    job.vaultId.toLowerCase() === item.vaultId.toLowerCase() &&
    job.entityFriendlyName.toLowerCase() === item.friendlyName.toLowerCase()
  );
}

const weekDays = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];

/**
 * Verifies one protected item against its schedule: the vault policy's sub-policies (schedule and
 * retention), the newest successful Full and Differential (from the jobs), the newest restorable point
 * (the item's last backup time, which log backups move: they never appear in the jobs list) and the
 * oldest. Missing data is unknown, never ok.
 */
export function verifyItem(input: {
  item: ProtectedItemState;
  policy: BackupPolicyState | undefined;
  jobs: readonly BackupJobState[];
  schedule: Record<"full" | "differential" | "log", Expectation>;
  graceHours: number;
  jobsSince: Date;
  now: Date;
}): ItemResult {
  const { item, policy, jobs, schedule, now } = input;
  const grace = input.graceHours * hourMs;
  const isVm = item.backupManagementType.toLowerCase() === "azureiaasvm";
  const checks: BackupCheck[] = [];
  const notes: string[] = [];
  const lookback = describeAge(now.getTime() - input.jobsSince.getTime());

  if (!policy) {
    checks.push(
      check(
        "Backup policy",
        item.policyId ? (item.policyId.split("/").pop() ?? null) : null,
        "a policy of the vault",
        item.policyId ? "unknown" : "critical",
        item.policyId
          ? "the item's policy could not be read"
          : "the item has no backup policy: it is not backed up",
      ),
    );
  }
  if (
    item.protectionState &&
    !["protected", "protectionerror"].includes(item.protectionState.toLowerCase())
  ) {
    checks.push(
      check(
        "Protection",
        item.protectionState,
        "Protected",
        "critical",
        `protection is ${item.protectionState}`,
      ),
    );
  }

  const types: [BackupType, "full" | "differential" | "log"][] = isVm
    ? [["Full", "full"]]
    : [
        ["Full", "full"],
        ["Differential", "differential"],
        ["Log", "log"],
      ];
  const itemJobs = jobs.filter((j) => jobOfItem(j, item) && j.backupType !== null);

  for (const [type, key] of types) {
    const expected = schedule[key];
    if (!expected) continue;
    const everyMs = durationMs(expected.every);
    const retentionDays = Math.round(durationMs(expected.retention) / dayMs);
    const sub = subPolicy(policy, type);
    const label = isVm ? "Backup" : type;
    if (policy) {
      if (!sub) {
        checks.push(
          check(
            `${label} schedule`,
            "none",
            `every ${expected.every}`,
            "critical",
            `policy ${policy.name} has no ${type} backup`,
          ),
        );
      } else {
        checks.push(scheduleCheck(label, type, sub, policy, everyMs, expected.every));
        checks.push(
          sub.retentionDays === null
            ? check(
                `${label} retention`,
                null,
                `≥ ${describeDays(retentionDays)}`,
                "unknown",
                "the policy's retention could not be read",
              )
            : sub.retentionDays >= retentionDays
              ? check(
                  `${label} retention`,
                  describeDays(sub.retentionDays),
                  `≥ ${describeDays(retentionDays)}`,
                  "ok",
                  "within the schedule",
                )
              : check(
                  `${label} retention`,
                  describeDays(sub.retentionDays),
                  `≥ ${describeDays(retentionDays)}`,
                  "warning",
                  `policy ${policy.name} keeps ${type} ${describeDays(sub.retentionDays)}; the schedule needs ${describeDays(retentionDays)}`,
                ),
        );
      }
    }
    if (type === "Log") continue; // measured from the restore point below, never from jobs
    // A Full is also the day's differential: the newest of either meets the differential's schedule.
    const counts = (j: BackupJobState) =>
      j.backupType === type || (type === "Differential" && j.backupType === "Full");
    const ofType = itemJobs.filter(counts);
    const good = ofType
      .filter((j) => succeeded.has(j.status.toLowerCase()))
      .sort((a, b) => b.startTime.localeCompare(a.startTime))[0];
    const allowed = everyMs + grace;
    if (!good) {
      checks.push(
        check(
          `Newest ${label}`,
          null,
          `≤ ${describeAge(allowed)} old`,
          "critical",
          `no successful ${type} backup in the last ${lookback}`,
        ),
      );
    } else {
      const at = good.endTime ?? good.startTime;
      const age = now.getTime() - Date.parse(at);
      checks.push(
        age <= allowed
          ? check(
              `Newest ${label}`,
              `${describeAge(age)} ago`,
              `≤ ${describeAge(allowed)} old`,
              "ok",
              `${at.slice(0, 16).replace("T", " ")} UTC`,
            )
          : check(
              `Newest ${label}`,
              `${describeAge(age)} ago`,
              `≤ ${describeAge(allowed)} old`,
              "critical",
              `the newest successful ${type} is ${describeAge(age)} old (${at.slice(0, 16).replace("T", " ")} UTC)`,
            ),
      );
    }
  }

  // Failed, cancelled or partly successful jobs: a later success of the same type settles them.
  const failures = itemJobs.filter((j) => failedStatuses.has(j.status.toLowerCase()));
  const unsettled: BackupJobState[] = [];
  for (const job of failures) {
    const retried = itemJobs.find(
      (j) =>
        j.backupType === job.backupType &&
        j.status.toLowerCase() === "completed" &&
        j.startTime > job.startTime,
    );
    const error =
      job.errors.map((e) => `${e.code}${e.message ? ` ${e.message}` : ""}`).join("; ") || "no error given";
    const when = job.startTime.slice(0, 16).replace("T", " ");
    if (retried) {
      notes.push(
        `${job.backupType} backup ${job.status} at ${when} UTC (${error}); retried successfully at ${retried.startTime.slice(0, 16).replace("T", " ")} UTC`,
      );
    } else {
      unsettled.push(job);
      notes.push(`${job.backupType} backup ${job.status} at ${when} UTC: ${error}`);
    }
  }
  checks.push(
    unsettled.length === 0
      ? check(
          "Failed jobs",
          String(failures.length),
          "none unresolved",
          "ok",
          failures.length === 0 ? `none in the last ${lookback}` : "each was retried successfully",
        )
      : check(
          "Failed jobs",
          String(unsettled.length),
          "none unresolved",
          "warning",
          unsettled
            .map(
              (j) =>
                `${j.backupType} ${j.status} at ${j.startTime.slice(0, 16).replace("T", " ")} UTC: ${j.errors.map((e) => e.message || e.code).join("; ") || "no error given"}`,
            )
            .join("; "),
        ),
  );

  // Restore-point freshness: if the database died now, this much would be lost.
  const newest = item.lastBackupTime;
  const freshness = isVm ? schedule.full : schedule.log;
  const freshnessMs = freshness ? durationMs(freshness.every) + (isVm ? grace : 0) : undefined;
  const ageMs = newest ? now.getTime() - Date.parse(newest) : null;
  if (freshnessMs !== undefined) {
    checks.push(
      ageMs === null
        ? check(
            "Restore point age",
            null,
            `≤ ${describeAge(freshnessMs)}`,
            "unknown",
            "the vault reports no restore point for the item",
          )
        : ageMs <= freshnessMs
          ? check(
              "Restore point age",
              describeAge(ageMs),
              `≤ ${describeAge(freshnessMs)}`,
              "ok",
              `newest restorable point ${newest?.slice(0, 16).replace("T", " ")} UTC`,
            )
          : check(
              "Restore point age",
              describeAge(ageMs),
              `≤ ${describeAge(freshnessMs)}`,
              "critical",
              `the newest restorable point is ${describeAge(ageMs)} old (${newest?.slice(0, 16).replace("T", " ")} UTC): ${describeAge(ageMs)} of data would be lost`,
            ),
    );
  }

  // How far back a restore can go, against what the longest retention promises.
  const promisedDays = Math.max(
    0,
    ...types.map(([, key]) => (schedule[key] ? Math.round(durationMs(schedule[key].retention) / dayMs) : 0)),
  );
  const oldest = item.oldestRecoveryPoint;
  const windowDays = oldest ? (now.getTime() - Date.parse(oldest)) / dayMs : null;
  // Points age out a Full at a time: the oldest may be up to one Full period younger than the retention.
  const slackDays = schedule.full ? durationMs(schedule.full.every) / dayMs : 1;
  if (promisedDays > 0) {
    checks.push(
      windowDays === null
        ? check(
            "Oldest restore point",
            null,
            `≈ ${describeDays(promisedDays)} back`,
            "unknown",
            "the vault reports no oldest restore point",
          )
        : windowDays + slackDays >= promisedDays
          ? check(
              "Oldest restore point",
              `${describeDays(Math.floor(windowDays))} back`,
              `≈ ${describeDays(promisedDays)} back`,
              "ok",
              `${oldest?.slice(0, 10)}`,
            )
          : check(
              "Oldest restore point",
              `${describeDays(Math.floor(windowDays))} back`,
              `≈ ${describeDays(promisedDays)} back`,
              "warning",
              `restores reach back ${describeDays(Math.floor(windowDays))} only; the retention promises ${describeDays(promisedDays)}`,
            ),
    );
  }

  return {
    vault: item.vaultId.split("/").pop() ?? item.vaultId,
    item: item.friendlyName,
    itemName: item.name,
    containerName: item.containerName,
    kind: isVm
      ? "Azure VM"
      : item.workloadType.toLowerCase() === "sqldatabase"
        ? "SQL Server in Azure VM"
        : item.workloadType,
    policy: policy?.name ?? null,
    status: worstOf(checks.map((c) => c.status)),
    newestRestorePoint: newest,
    restorePointAgeMinutes: ageMs === null ? null : Math.round(ageMs / 60_000),
    oldestRestorePoint: oldest,
    restoreWindowDays: windowDays === null ? null : Math.round(windowDays * 10) / 10,
    checks,
    notes,
  };
}

function scheduleCheck(
  label: string,
  type: BackupType,
  sub: BackupSubPolicy,
  policy: BackupPolicyState,
  everyMs: number,
  every: string,
): BackupCheck {
  let periodMs: number | null;
  let value: string;
  if (sub.frequency === "Minutes" || sub.intervalMinutes !== null) {
    periodMs = (sub.intervalMinutes ?? 0) * 60_000 || null;
    value = `every ${sub.intervalMinutes ?? "?"} min`;
  } else if (sub.frequency.toLowerCase() === "hourly") {
    periodMs = hourMs;
    value = "hourly";
  } else if (sub.frequency.toLowerCase() === "daily") {
    periodMs = dayMs;
    value = "daily";
  } else if (sub.frequency.toLowerCase() === "weekly") {
    const days = sub.days.length;
    // A differential on every day but the Full's is daily: the Full stands in on its own day.
    const fullDays =
      type === "Differential" ? (policy.subPolicies.find((s) => s.type === "Full")?.days ?? []) : [];
    const covered = new Set([...sub.days, ...fullDays].map((d) => d.toLowerCase()));
    periodMs = covered.size >= 7 ? dayMs : days > 0 ? 7 * dayMs : null;
    value =
      covered.size >= 7 && days < 7
        ? `weekly on ${days} days (+ Full)`
        : `weekly (${sub.days.join(", ") || "no days"})`;
    if (covered.size < 7 && everyMs < 7 * dayMs) {
      const missing = weekDays.filter((d) => !covered.has(d.toLowerCase()));
      return check(
        `${label} schedule`,
        value,
        `every ${every}`,
        "warning",
        `policy ${policy.name} has no ${type} on ${missing.join(", ")}`,
      );
    }
  } else {
    return check(
      `${label} schedule`,
      sub.frequency,
      `every ${every}`,
      "unknown",
      `schedule ${sub.frequency} is not understood`,
    );
  }
  if (periodMs === null)
    return check(`${label} schedule`, value, `every ${every}`, "unknown", "the schedule names no time");
  return periodMs <= everyMs
    ? check(`${label} schedule`, value, `every ${every}`, "ok", `policy ${policy.name}`)
    : check(
        `${label} schedule`,
        value,
        `every ${every}`,
        "warning",
        `policy ${policy.name} runs ${type} less often than every ${every}`,
      );
}
