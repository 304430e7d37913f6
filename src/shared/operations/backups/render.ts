import type { Status } from "../../procedures/status.ts";
import { escapeHtml, oneLine } from "../../render/escape.ts";
import { renderTable } from "../../render/table.ts";
import type { BackupReport } from "./report.ts";

const label: Record<Status, string> = {
  ok: "OK",
  warning: "WARNING",
  critical: "CRITICAL",
  unknown: "UNKNOWN",
};
const colour: Record<Status, string> = {
  ok: "#1a7f37",
  warning: "#9a6700",
  critical: "#cf222e",
  unknown: "#57606a",
};

function rowsOf(report: BackupReport): string[][] {
  const rows: string[][] = [];
  for (const vault of report.vaults) {
    if (vault.error && vault.items.length === 0) {
      rows.push([vault.name, "", "", "", label[vault.status], vault.error]);
      continue;
    }
    for (const item of vault.items) {
      item.checks.forEach((c, index) => {
        rows.push([
          index === 0 ? `${vault.name} / ${item.item}` : "",
          c.label,
          c.value ?? "",
          c.expected,
          label[c.status],
          c.reason,
        ]);
      });
      for (const note of item.notes) rows.push(["", "note", "", "", "", note]);
      rows.push(["", "→ item", "", "", label[item.status], `${item.kind}, policy ${item.policy ?? "none"}`]);
    }
  }
  return rows;
}

/** The verification as a terminal table: each item's checks, its notes, its status. */
export function renderBackupTable(report: BackupReport): string {
  const header = [
    `Backup verification ${report.runId}`,
    `Environment: ${report.environment}   Jobs since: ${report.jobsSince}   Trigger: ${report.trigger}`,
    `Started: ${report.startedAt}   Finished: ${report.finishedAt}`,
    "",
  ];
  const freshness = report.vaults.flatMap((v) =>
    v.items.map((i) => [
      `${v.name} / ${i.item}`,
      i.newestRestorePoint ?? "unknown",
      i.restorePointAgeMinutes === null ? "unknown" : `${i.restorePointAgeMinutes} min`,
      i.oldestRestorePoint ?? "unknown",
      i.restoreWindowDays === null ? "unknown" : `${i.restoreWindowDays} days`,
      label[i.status],
    ]),
  );
  const notification = report.notification
    ? report.notification.sent
      ? `Notified: ${report.notification.recipients.join(", ")}`
      : `Notification FAILED: ${report.notification.error ?? "unknown error"}`
    : "Notified: nobody (run is ok or notification was off)";
  return [
    ...header,
    ...renderTable([["ITEM", "CHECK", "VALUE", "EXPECTED", "STATUS", "REASON"], ...rowsOf(report)], {
      rule: true,
    }),
    "",
    "Restore points (if the database died now):",
    ...renderTable([
      ["ITEM", "NEWEST (UTC)", "DATA AT RISK", "OLDEST (UTC)", "REACHES BACK", "STATUS"],
      ...freshness,
    ]),
    "",
    `OVERALL: ${label[report.status]}`,
    notification,
    "",
  ].join("\n");
}

/** The email of a verification that is not ok: what is wrong first; every value from Azure escaped. */
export function renderBackupEmail(report: BackupReport): { subject: string; html: string; text: string } {
  const bad = report.vaults.flatMap((v) =>
    v.items.length === 0
      ? [{ name: v.name, status: v.status, why: v.error ?? "" }]
      : v.items
          .filter((i) => i.status !== "ok")
          .map((i) => ({
            name: `${v.name}/${i.item}`,
            status: i.status,
            why: i.checks
              .filter((c) => c.status !== "ok")
              .map((c) => c.reason)
              .join("; "),
          })),
  );
  const subject = oneLine(
    `[${label[report.status]}] ${report.environment} backup verification: ${bad.map((b) => `${b.name} ${b.status}`).join(", ") || "all ok"}`,
  );
  const text = [
    `Backup verification ${report.runId} for ${report.environment}: ${label[report.status]}`,
    `Finished ${report.finishedAt} (UTC); jobs read since ${report.jobsSince}`,
    "",
    ...bad.map((b) => `- ${b.name}: ${label[b.status]}: ${b.why}`),
    "",
    ...renderTable([["ITEM", "CHECK", "VALUE", "EXPECTED", "STATUS", "REASON"], ...rowsOf(report)]),
    "",
    `Re-run: phoenix-ops backup verify --environment ${report.environment}`,
  ].join("\n");
  const rows = rowsOf(report)
    .map(
      (r) =>
        `<tr>${r
          .map((cell, i) =>
            i === 4 && cell
              ? `<td style="color:${colour[(cell.toLowerCase() as Status) in colour ? (cell.toLowerCase() as Status) : "unknown"]};font-weight:bold">${escapeHtml(cell)}</td>`
              : `<td>${escapeHtml(cell)}</td>`,
          )
          .join("")}</tr>`,
    )
    .join("\n");
  const html = `<!doctype html>
<html><body style="font-family:Segoe UI,Arial,sans-serif">
<h2 style="color:${colour[report.status]}">${escapeHtml(report.environment)} backup verification: ${escapeHtml(label[report.status])}</h2>
<p>Run <code>${escapeHtml(report.runId)}</code>, finished ${escapeHtml(report.finishedAt)} (UTC).</p>
<ul>${bad.map((b) => `<li><strong>${escapeHtml(b.name)}</strong>: ${escapeHtml(label[b.status])}: ${escapeHtml(b.why)}</li>`).join("")}</ul>
<table cellpadding="6" style="border-collapse:collapse" border="1">
<thead><tr><th>Item</th><th>Check</th><th>Value</th><th>Expected</th><th>Status</th><th>Reason</th></tr></thead>
<tbody>
${rows}
</tbody></table>
<p style="color:#57606a">Sent by Phoenix Ops. Re-run on demand: <code>phoenix-ops backup verify --environment ${escapeHtml(report.environment)}</code></p>
</body></html>`;
  return { subject, html, text };
}
