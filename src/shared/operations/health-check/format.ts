import type { Status } from "../../procedures/status.ts";
import type { SignalResult } from "./report.ts";

export function formatValue(signal: SignalResult): string {
  // A signal without a threshold (the resource state) has no number; its reason says it all.
  if (!signal.threshold) return "";
  if (signal.value === null) return "n/a";
  const unit = signal.unit === "%" ? "%" : signal.unit ? ` ${signal.unit}` : "";
  return `${formatNumber(signal.value)}${unit}`;
}

export function formatThreshold(signal: SignalResult): string {
  if (!signal.threshold) return "";
  const { warning, critical, direction } = signal.threshold;
  const op = direction === "below" ? "<" : ">";
  const unit = signal.unit === "%" ? "%" : signal.unit ? ` ${signal.unit}` : "";
  return `warn ${op}${formatNumber(warning)}${unit}, crit ${op}${formatNumber(critical)}${unit}`;
}

function formatNumber(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(2).replace(/0+$/, "").replace(/\.$/, "");
}

export const statusLabel: Record<Status, string> = {
  ok: "OK",
  warning: "WARNING",
  critical: "CRITICAL",
  unknown: "UNKNOWN",
};
