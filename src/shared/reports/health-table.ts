import type { HealthReport } from "../health/report.ts";
import { formatThreshold, formatValue, statusLabel } from "./format.ts";

/** The health report as a plain-text table for a terminal. */
export function renderHealthTable(report: HealthReport): string {
  const rows: string[][] = [["COMPONENT", "SIGNAL", "VALUE", "THRESHOLD", "STATUS", "REASON"]];
  for (const component of report.components) {
    component.signals.forEach((signal, index) => {
      rows.push([
        index === 0 ? `${component.name} (${component.kind})` : "",
        signal.label,
        formatValue(signal),
        formatThreshold(signal),
        statusLabel[signal.status],
        signal.reason,
      ]);
    });
    rows.push(["", "→ component", "", "", statusLabel[component.status], ""]);
  }
  const widths = rows[0]!.map((_, col) => Math.max(...rows.map((r) => (r[col] ?? "").length)));
  const line = (r: string[]): string =>
    r
      .map((cell, col) => (col === r.length - 1 ? cell : cell.padEnd(widths[col] ?? 0)))
      .join("  ")
      .trimEnd();
  const header = [
    `Health check ${report.runId}`,
    `Environment: ${report.environment}   Window: last ${report.windowMinutes} min   Trigger: ${report.trigger}`,
    `Started: ${report.startedAt}   Finished: ${report.finishedAt}`,
    "",
  ];
  const rule = widths.map((w) => "-".repeat(w)).join("  ");
  const notification = report.notification
    ? report.notification.sent
      ? `Notified: ${report.notification.recipients.join(", ")}`
      : `Notification FAILED: ${report.notification.error ?? "unknown error"}`
    : "Notified: nobody (run is ok or notification was off)";
  return [
    ...header,
    line(rows[0]!),
    rule,
    ...rows.slice(1).map(line),
    rule,
    `OVERALL: ${statusLabel[report.status]}`,
    notification,
    "",
  ].join("\n");
}
