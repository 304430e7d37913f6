import { renderTable } from "../../render/table.ts";
import { formatThreshold, formatValue, statusLabel } from "./format.ts";
import type { HealthReport } from "./report.ts";

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
  const header = [
    `Health check ${report.runId}`,
    `Environment: ${report.environment}   Window: last ${report.windowMinutes} min   Trigger: ${report.trigger}`,
    `Started: ${report.startedAt}   Finished: ${report.finishedAt}`,
    "",
  ];
  const notification = report.notification
    ? report.notification.sent
      ? `Notified: ${report.notification.recipients.join(", ")}`
      : `Notification FAILED: ${report.notification.error ?? "unknown error"}`
    : "Notified: nobody (run is ok or notification was off)";
  return [
    ...header,
    ...renderTable(rows, { rule: true }),
    `OVERALL: ${statusLabel[report.status]}`,
    notification,
    "",
  ].join("\n");
}
