/**
 * ISO 8601 durations and timespans as Azure Monitor and Log Analytics accept them
 * (`PT5M`, `P1D`, `start/end`, `start/PT1H`, `PT1H/end`, `PT1H`).
 */

const durationPattern = /^P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/i;

export function parseIsoDuration(text: string): number | undefined {
  const match = durationPattern.exec(text.trim());
  if (!match || text.trim().toUpperCase() === "P" || text.trim().toUpperCase().endsWith("T"))
    return undefined;
  const [, weeks, days, hours, minutes, seconds] = match;
  const ms =
    Number(weeks ?? 0) * 604_800_000 +
    Number(days ?? 0) * 86_400_000 +
    Number(hours ?? 0) * 3_600_000 +
    Number(minutes ?? 0) * 60_000 +
    Number(seconds ?? 0) * 1000;
  return ms > 0 ? ms : undefined;
}

/** `PT5M`, `PT1H`, `P1D`, `PT4H`: the form Azure Monitor reports intervals in. */
export function formatIsoDuration(ms: number): string {
  const totalSeconds = Math.round(ms / 1000);
  const days = Math.floor(totalSeconds / 86_400);
  const hours = Math.floor((totalSeconds % 86_400) / 3600);
  const minutes = Math.floor((totalSeconds % 3600) / 60);
  const seconds = totalSeconds % 60;
  let time = "";
  if (hours) time += `${hours}H`;
  if (minutes) time += `${minutes}M`;
  if (seconds) time += `${seconds}S`;
  if (!days && !time) return "PT0S";
  return `P${days ? `${days}D` : ""}${time ? `T${time}` : ""}`;
}

export interface Timespan {
  start: Date;
  end: Date;
}

const instantPattern =
  /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2})?)(?:\.(\d+))?)?(Z|[+-]\d{2}:?\d{2})?$/i;

/**
 * An ISO 8601 instant as Azure reads it: a timestamp without an offset is UTC (never the machine's
 * time zone), and fractions beyond milliseconds (az sends microseconds) are cut, not refused.
 */
export function parseInstant(text: string): Date | undefined {
  // Only full timestamps count: a bare duration such as "PT1H" is not a date.
  const match = instantPattern.exec(text.trim());
  if (!match) return undefined;
  const [, day, time = "00:00:00", fraction, offset] = match;
  const seconds = time.length === 5 ? `${time}:00` : time;
  const millis = fraction ? `.${fraction.slice(0, 3).padEnd(3, "0")}` : "";
  const zone =
    !offset || offset.toUpperCase() === "Z" ? "Z" : offset.replace(/^([+-]\d{2})(\d{2})$/, "$1:$2");
  const date = new Date(`${day}T${seconds}${millis}${zone}`);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/** Parses `start/end`, `start/duration`, `duration/end` or `duration` (ending now). */
export function parseTimespan(text: string, now: Date): Timespan | undefined {
  const parts = text.split("/");
  if (parts.length === 1) {
    const duration = parseIsoDuration(parts[0] ?? "");
    return duration ? { start: new Date(now.getTime() - duration), end: now } : undefined;
  }
  if (parts.length !== 2) return undefined;
  const [first = "", second = ""] = parts;
  const start = parseInstant(first);
  const end = parseInstant(second);
  if (start && end) return end > start ? { start, end } : undefined;
  if (start) {
    const duration = parseIsoDuration(second);
    return duration ? { start, end: new Date(start.getTime() + duration) } : undefined;
  }
  if (end) {
    const duration = parseIsoDuration(first);
    return duration ? { start: new Date(end.getTime() - duration), end } : undefined;
  }
  return undefined;
}

/** `2021-04-20T09:00:00Z`: Azure Monitor's timestamp form (no milliseconds). */
export function formatInstant(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, "Z");
}

export function floorTo(ms: number, stepMs: number): number {
  return Math.floor(ms / stepMs) * stepMs;
}
