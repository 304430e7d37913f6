import type { Incident } from "../../incidents/model.ts";
import { escapeHtml, oneLine } from "../../render/escape.ts";

export type IncidentEmailKind = "opened" | "escalated" | "resolved" | "unrecognized";

export interface IncidentEmailContext {
  kind: IncidentEmailKind;
  /** e.g. "level 2 of 3, round 1" for escalations. */
  step?: string;
  /** Base URL of the app's API, for links to the incident and its diagnostics. */
  apiBaseUrl: string | null;
}

const priorityColour: Record<Incident["priority"], string> = {
  critical: "#cf222e",
  high: "#bc4c00",
  medium: "#9a6700",
  low: "#0969da",
  info: "#57606a",
};

function safeLink(url: string | null): string | null {
  return url && /^https:\/\//i.test(url) ? url : null;
}

/**
 * An incident email: what fired, the values against thresholds, links, and how to acknowledge.
 * Alert text is attacker-controllable: every value is escaped for HTML and made one line for the subject.
 */
export function renderIncidentEmail(
  incident: Incident,
  context: IncidentEmailContext,
): { subject: string; html: string; text: string } {
  const verb = {
    opened: "opened",
    escalated: `escalated (${context.step ?? "next level"})`,
    resolved: "resolved",
    unrecognized: "unrecognized alert payload",
  }[context.kind];
  const test = incident.isTest ? " [TEST]" : "";
  const subject = oneLine(
    `[${incident.priority.toUpperCase()}]${test} ${incident.id} ${verb}: ${incident.title}`,
    180,
  );
  const api = context.apiBaseUrl?.replace(/\/$/, "") ?? null;
  const incidentUrl = api ? `${api}/api/incidents/${encodeURIComponent(incident.id)}` : null;
  const diagnosticsUrl =
    api && incident.diagnostics.status !== "not-applicable" ? `${incidentUrl}/diagnostics` : null;
  const azureLink = safeLink(incident.link);

  const facts: [string, string][] = [
    ["Incident", incident.id],
    ["Status", incident.status],
    ["Priority", incident.priority],
    ["Rule", incident.rule],
    ["Environment", incident.environment ?? "(none matched)"],
    ["Target", incident.target ?? "(none)"],
    ["Opened", `${incident.openedAt} by ${incident.openedBy}`],
    ["Alerts", `${incident.alertCount} received, ${incident.activeAlerts.length} still firing`],
  ];
  if (incident.resolvedAt)
    facts.push(["Resolved", `${incident.resolvedAt} by ${incident.resolvedBy ?? "?"}`]);
  if (incident.description) facts.push(["Description", incident.description]);

  const values = incident.values.map((v) => ({
    name: v.name,
    value: v.value === null ? "n/a" : String(v.value),
    threshold: v.threshold === null ? "" : `${v.operator ?? ""} ${String(v.threshold)}`.trim(),
    aggregation: v.aggregation ?? "",
  }));

  const ack = [
    `phoenix-ops incidents ack ${incident.id}`,
    incidentUrl ? `POST ${incidentUrl}/acknowledge (Ops.Operator)` : null,
  ].filter((x): x is string => x !== null);

  const text = [
    `${incident.id} ${verb}${test}`,
    "",
    ...facts.map(([k, v]) => `${k}: ${oneLine(v, 2000)}`),
    "",
    ...(values.length > 0
      ? [
          "Values:",
          ...values.map(
            (v) =>
              `  ${oneLine(v.name)}: ${oneLine(v.value)} ${oneLine(v.aggregation)} (threshold ${oneLine(v.threshold) || "n/a"})`,
          ),
          "",
        ]
      : []),
    ...(azureLink ? [`In Azure: ${azureLink}`] : []),
    ...(incidentUrl ? [`Incident: ${incidentUrl}`] : []),
    ...(diagnosticsUrl
      ? [`Diagnostics (recent metrics, failed and slowest requests): ${diagnosticsUrl}`]
      : []),
    "",
    incident.status === "resolved"
      ? "Nothing to do: the incident is resolved."
      : `To acknowledge (stops escalation):\n  ${ack.join("\n  ")}`,
  ].join("\n");

  const html = `<!doctype html>
<html><body style="font-family:Segoe UI,Arial,sans-serif">
<h2 style="color:${priorityColour[incident.priority]}">${escapeHtml(incident.id)} ${escapeHtml(verb)}${escapeHtml(test)}</h2>
<p><strong>${escapeHtml(incident.title)}</strong></p>
<table cellpadding="4" style="border-collapse:collapse">
${facts.map(([k, v]) => `<tr><th align="left">${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`).join("\n")}
</table>
${
  values.length > 0
    ? `<h3>Values against thresholds</h3>
<table cellpadding="4" border="1" style="border-collapse:collapse">
<tr><th>Signal</th><th>Value</th><th>Aggregation</th><th>Threshold</th></tr>
${values.map((v) => `<tr><td>${escapeHtml(v.name)}</td><td>${escapeHtml(v.value)}</td><td>${escapeHtml(v.aggregation)}</td><td>${escapeHtml(v.threshold)}</td></tr>`).join("\n")}
</table>`
    : ""
}
<p>
${azureLink ? `<a href="${escapeHtml(azureLink)}">Open in Azure</a><br>` : ""}
${incidentUrl ? `<a href="${escapeHtml(incidentUrl)}">Incident</a><br>` : ""}
${diagnosticsUrl ? `<a href="${escapeHtml(diagnosticsUrl)}">Diagnostics: recent metrics, failed and slowest requests</a>` : ""}
</p>
${
  incident.status === "resolved"
    ? "<p>Nothing to do: the incident is resolved.</p>"
    : `<p>To acknowledge (stops escalation):</p><pre>${ack.map(escapeHtml).join("\n")}</pre>`
}
</body></html>`;
  return { subject, html, text };
}

/** One email for many incidents that opened within the same minute. */
export function renderDigestEmail(
  incidents: Incident[],
  minute: string,
  apiBaseUrl: string | null,
): { subject: string; html: string; text: string } {
  const api = apiBaseUrl?.replace(/\/$/, "") ?? null;
  const subject = oneLine(`[DIGEST] ${incidents.length} incidents opened at ${minute} UTC`);
  const line = (i: Incident): string =>
    `${i.id} [${i.priority}] ${oneLine(i.title)}${i.environment ? ` (${i.environment})` : ""}`;
  const text = [
    `${incidents.length} incidents opened in the minute from ${minute} UTC. Individual emails were held back to keep the inbox readable.`,
    "",
    ...incidents.map(line),
    "",
    "List them: phoenix-ops incidents list --status open",
  ].join("\n");
  const html = `<!doctype html><html><body style="font-family:Segoe UI,Arial,sans-serif">
<h2>${escapeHtml(incidents.length)} incidents opened at ${escapeHtml(minute)} UTC</h2>
<p>Individual emails were held back to keep the inbox readable.</p>
<ul>
${incidents.map((i) => `<li>${api ? `<a href="${escapeHtml(`${api}/api/incidents/${encodeURIComponent(i.id)}`)}">${escapeHtml(i.id)}</a>` : escapeHtml(i.id)} [${escapeHtml(i.priority)}] ${escapeHtml(i.title)}${i.environment ? ` (${escapeHtml(i.environment)})` : ""}</li>`).join("\n")}
</ul>
<pre>phoenix-ops incidents list --status open</pre>
</body></html>`;
  return { subject, html, text };
}
