import type { Status } from "../../procedures/status.ts";
import { escapeHtml, oneLine } from "../../render/escape.ts";
import { formatThreshold, formatValue, statusLabel } from "./format.ts";
import type { HealthReport } from "./report.ts";

const colour: Record<Status, string> = {
  ok: "#1a7f37",
  warning: "#9a6700",
  critical: "#cf222e",
  unknown: "#57606a",
};

/** The email for a run that is not ok: what is wrong first, then every signal. All values are escaped. */
export function renderHealthEmail(report: HealthReport): { subject: string; html: string; text: string } {
  const bad = report.components.filter((c) => c.status !== "ok");
  const subject = oneLine(
    `[${statusLabel[report.status]}] ${report.environment} health check: ${bad.map((c) => `${c.name} ${c.status}`).join(", ") || "all ok"}`,
  );

  const textLines = [
    `Health check ${report.runId} for ${report.environment}: ${statusLabel[report.status]}`,
    `Window: last ${report.windowMinutes} minutes, finished ${report.finishedAt} (UTC)`,
    "",
  ];
  for (const component of report.components) {
    textLines.push(`${component.name} (${component.kind}): ${statusLabel[component.status]}`);
    for (const s of component.signals) {
      textLines.push(
        `  - ${s.label}: ${formatValue(s)} [${statusLabel[s.status]}] ${formatThreshold(s)} ${s.reason}`.trimEnd(),
      );
    }
  }
  textLines.push("", `Resource ids:`, ...report.components.map((c) => `  ${c.name}: ${c.resourceId}`));

  const rows = report.components
    .flatMap((component) =>
      component.signals.map(
        (s, i) => `<tr>
  <td>${i === 0 ? `<strong>${escapeHtml(component.name)}</strong> (${escapeHtml(component.kind)})` : ""}</td>
  <td>${escapeHtml(s.label)}</td>
  <td>${escapeHtml(formatValue(s))}</td>
  <td>${escapeHtml(formatThreshold(s))}</td>
  <td style="color:${colour[s.status]};font-weight:bold">${escapeHtml(statusLabel[s.status])}</td>
  <td>${escapeHtml(s.reason)}</td>
</tr>`,
      ),
    )
    .join("\n");

  const html = `<!doctype html>
<html><body style="font-family:Segoe UI,Arial,sans-serif">
<h2 style="color:${colour[report.status]}">${escapeHtml(report.environment)} health check: ${escapeHtml(statusLabel[report.status])}</h2>
<p>Run <code>${escapeHtml(report.runId)}</code>, window: last ${escapeHtml(report.windowMinutes)} minutes, finished ${escapeHtml(report.finishedAt)} (UTC).</p>
<table cellpadding="6" style="border-collapse:collapse" border="1">
<thead><tr><th>Component</th><th>Signal</th><th>Value</th><th>Threshold</th><th>Status</th><th>Reason</th></tr></thead>
<tbody>
${rows}
</tbody></table>
<p style="color:#57606a">Sent by Phoenix Ops. Re-run on demand: <code>phoenix-ops health-check --environment ${escapeHtml(report.environment)}</code></p>
</body></html>`;
  return { subject, html, text: textLines.join("\n") };
}
