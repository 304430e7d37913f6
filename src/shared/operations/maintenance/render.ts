import type { MaintenanceWindowRecord } from "../../ports/maintenance-windows.ts";
import { tableText } from "../../render/table.ts";
import type { ReleasesView } from "./releases.ts";
import type { SwapOutcome } from "./swap.ts";
import type { Verification } from "./verify.ts";
import type { WindowEnd, WindowStatus } from "./windows.ts";

export function renderWindow(window: MaintenanceWindowRecord): string {
  return [
    `${window.id}  ${window.status.toUpperCase()}  ${window.environment}`,
    `Started:     ${window.startedAt} by ${window.openedBy}`,
    `Planned end: ${window.plannedEnd}`,
    ...(window.endedAt ? [`Ended:       ${window.endedAt} (${window.endNote ?? ""})`] : []),
    ...(!window.endedAt && window.endNote ? [`Note:        ${window.endNote}`] : []),
    `Reason:      ${window.reason}`,
    `Notified:    ${window.notification ? "yes" : "no"}`,
    ...(window.verification
      ? [`Verified:    ${window.verification.status}: ${window.verification.summary}`]
      : []),
    "",
  ].join("\n");
}

export function renderStatus(status: WindowStatus): string {
  const rows = [
    ["WINDOW", "ENVIRONMENT", "STATE", "START", "END", "SOURCE"],
    ...status.open.map((w) => [
      w.id,
      w.environment,
      w.status,
      w.startedAt,
      w.plannedEnd,
      `run time (${w.openedBy})`,
    ]),
    ...status.policy.map((w) => [w.name, w.environment ?? "-", w.state, w.start, w.end, "policy"]),
  ];
  return tableText(rows, "No maintenance window is open or scheduled.\n");
}

export function renderEnd(end: WindowEnd): string {
  const lines = [
    end.ended
      ? `${end.window.id} ended.`
      : `${end.window.id} stays OPEN: verification failed${end.incident ? ` (incident ${end.incident})` : ""}.`,
  ];
  if (end.verification) {
    lines.push(
      `Verification: health check ${end.verification.runId}: ${end.verification.status.toUpperCase()}`,
    );
    for (const c of end.verification.components) lines.push(`  ${c.name.padEnd(12)} ${c.status}`);
  }
  for (const r of end.rollback) lines.push(`Rollback of ${r.site}: ${r.outcome}`);
  return `${lines.join("\n")}\n`;
}

function renderVerification(label: string, v: Verification | "skipped" | null): string[] {
  if (v === null) return [];
  if (v === "skipped") return [`${label}: skipped (--skip-validation)`];
  return [
    `${label}: ${v.status.toUpperCase()}`,
    ...v.checks.map((c) => `  ${c.name.padEnd(14)} ${c.status.padEnd(8)} ${c.detail}`),
  ];
}

export function renderSwap(outcome: SwapOutcome): string {
  return [
    `${outcome.site}: ${outcome.slot} → ${outcome.targetSlot}   ${outcome.decision.toUpperCase()}${outcome.repeated ? " (a repeat: the first run's outcome)" : ""}`,
    `Change:    ${outcome.change.id} ${outcome.change.status}: ${outcome.change.summary}`,
    ...(outcome.change.error ? [`Error:     ${outcome.change.error}`] : []),
    ...(outcome.change.blockedBy
      ? [`Blocked:   ${outcome.change.blockedBy.rule}: ${outcome.change.blockedBy.detail}`]
      : []),
    ...renderVerification("Staging check", outcome.precheck),
    ...renderVerification("Production before", outcome.baseline),
    ...renderVerification("Production after", outcome.verification),
    `Decision:  ${outcome.reason}`,
    ...(outcome.swapBack
      ? [`Swap-back: ${outcome.swapBack.id} ${outcome.swapBack.status}: ${outcome.swapBack.summary}`]
      : []),
    ...(outcome.incident ? [`Incident:  ${outcome.incident}`] : []),
    ...(outcome.release ? [`Ledger:    ${outcome.release.version} ${outcome.release.verification}`] : []),
    "",
  ].join("\n");
}

export function renderReleases(view: ReleasesView): string {
  const head = view.site
    ? `${view.site}: runs ${view.live ?? "an unknown version"}; last known good ${view.lastKnownGood ? `${view.lastKnownGood.version} (live since ${view.lastKnownGood.at})` : "none other than the version live now"}\n`
    : "";
  return (
    head +
    tableText(
      [
        ["AT", "SITE", "VERSION", "KIND", "VIA", "BY", "VERIFICATION", "PACKAGE"],
        ...view.releases.map((r) => [
          r.at,
          r.siteName,
          r.version,
          r.kind,
          r.via,
          r.by,
          r.verification,
          r.package ?? "-",
        ]),
      ],
      "No releases recorded.\n",
    )
  );
}
