import type { Incident, IncidentEvent } from "../../incidents/model.ts";
import { tableText } from "../../render/table.ts";

export function renderIncidentList(incidents: readonly Incident[]): string {
  return tableText(
    [
      ["ID", "STATUS", "PRIORITY", "", "ALERTS", "OPENED (UTC)", "TITLE"],
      ...incidents.map((i) => [
        i.id,
        i.status,
        i.priority,
        i.suppressedBy ? "suppressed" : "",
        String(i.alertCount),
        i.openedAt.slice(0, 19).replace("T", " "),
        i.title,
      ]),
    ],
    "No incidents.\n",
  );
}

export function renderIncident(incident: Incident, history: readonly IncidentEvent[] = []): string {
  const lines = [
    `${incident.id}  ${incident.status.toUpperCase()}  ${incident.priority}${incident.suppressedBy ? `  (suppressed by ${incident.suppressedBy})` : ""}`,
    `Title:        ${incident.title}`,
    `Rule:         ${incident.rule}`,
    `Environment:  ${incident.environment ?? "-"}`,
    `Target:       ${incident.target ?? "-"}`,
    `Opened:       ${incident.openedAt} by ${incident.openedBy}`,
    ...(incident.acknowledgedAt
      ? [`Acknowledged: ${incident.acknowledgedAt} by ${incident.acknowledgedBy ?? "?"}`]
      : []),
    ...(incident.resolvedAt ? [`Resolved:     ${incident.resolvedAt} by ${incident.resolvedBy ?? "?"}`] : []),
    `Alerts:       ${incident.alertCount} received, ${incident.activeAlerts.length} firing`,
    ...(incident.escalation
      ? [
          `Escalation:   level ${incident.escalation.level + 1}, round ${incident.escalation.round + 1}${incident.escalation.nextAt ? `, next at ${incident.escalation.nextAt}` : ""}`,
        ]
      : []),
    `Diagnostics:  ${incident.diagnostics.status}`,
    ...(incident.link ? [`In Azure:     ${incident.link}`] : []),
  ];
  if (history.length > 0) {
    lines.push("", "History:", ...history.map((e) => `  ${e.at}  ${e.type.padEnd(13)} ${e.by}: ${e.detail}`));
  }
  return `${lines.join("\n")}\n`;
}
