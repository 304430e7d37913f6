/**
 * Alert timestamps → ISO 8601 UTC ("2019-03-22T13:58:24.371Z"), or null when unparseable.
 *
 * Azure sends, depending on the shape:
 * - ISO 8601 with "Z", an offset, or no zone at all ("2021-11-17T05:34:48.0623172"); no zone means UTC,
 *   and fractions beyond milliseconds are truncated;
 * - US format from Log Analytics ("3/22/2019 1:36:31 PM", "11/17/2021 5:40:29 PM -08:00",
 *   "06/25/2017 19:59:39"), month first, UTC unless an offset follows;
 * - RFC 1123 ("Wed, 21 Aug 2019 16:17:47 GMT").
 *
 * Nothing here uses `Date.parse`, whose handling of non-ISO and zone-less strings depends on the host's
 * time zone.
 */

const ISO =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?\s*(Z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)?$/i;
const US =
  /^(\d{1,2})\/(\d{1,2})\/(\d{4})(?:[ T]+(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?\s*([AP]M)?)?\s*(Z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)?$/i;
const RFC1123 =
  /^(?:[A-Za-z]{3},?\s+)?(\d{1,2})\s+([A-Za-z]{3})\s+(\d{4})\s+(\d{2}):(\d{2})(?::(\d{2}))?\s*(Z|UTC|GMT|[+-]\d{2}:?\d{2})?$/i;
const MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];

export function parseAlertTime(value: unknown): string | null {
  if (typeof value !== "string") return null;
  const text = value.trim();
  if (text === "" || text.length > 64) return null;
  return parseIso(text) ?? parseUs(text) ?? parseRfc1123(text);
}

function parseIso(text: string): string | null {
  const m = ISO.exec(text);
  if (!m) return null;
  return build({
    year: Number(m[1]),
    month: Number(m[2]),
    day: Number(m[3]),
    hour: Number(m[4] ?? 0),
    minute: Number(m[5] ?? 0),
    second: Number(m[6] ?? 0),
    fraction: m[7] ?? "",
    zone: m[8],
  });
}

function parseUs(text: string): string | null {
  const m = US.exec(text);
  if (!m) return null;
  let hour = Number(m[4] ?? 0);
  const meridiem = m[8]?.toUpperCase();
  if (meridiem !== undefined) {
    if (hour < 1 || hour > 12) return null;
    if (meridiem === "AM" && hour === 12) hour = 0;
    if (meridiem === "PM" && hour !== 12) hour += 12;
  }
  return build({
    year: Number(m[3]),
    month: Number(m[1]),
    day: Number(m[2]),
    hour,
    minute: Number(m[5] ?? 0),
    second: Number(m[6] ?? 0),
    fraction: m[7] ?? "",
    zone: m[9],
  });
}

function parseRfc1123(text: string): string | null {
  const m = RFC1123.exec(text);
  if (!m) return null;
  const month = MONTHS.indexOf((m[2] ?? "").toLowerCase()) + 1;
  if (month === 0) return null;
  return build({
    year: Number(m[3]),
    month,
    day: Number(m[1]),
    hour: Number(m[4]),
    minute: Number(m[5]),
    second: Number(m[6] ?? 0),
    fraction: "",
    zone: m[7],
  });
}

interface Parts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  /** Fraction-of-second digits, possibly empty. */
  fraction: string;
  /** "Z", "UTC", "GMT", "+hh:mm", "+hhmm", "+hh", or undefined (= UTC). */
  zone: string | undefined;
}

function build(p: Parts): string | null {
  if (p.year < 1000 || p.month < 1 || p.month > 12 || p.day < 1 || p.day > 31) return null;
  if (p.hour > 23 || p.minute > 59 || p.second > 59) return null;
  const offsetMinutes = zoneOffsetMinutes(p.zone);
  if (offsetMinutes === null) return null;
  const midnight = new Date(Date.UTC(p.year, p.month - 1, p.day));
  if (midnight.getUTCMonth() !== p.month - 1 || midnight.getUTCDate() !== p.day) return null; // 2/30
  const millis = p.fraction === "" ? 0 : Number(`${p.fraction}00`.slice(0, 3));
  const time =
    Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second, millis) - offsetMinutes * 60_000;
  const date = new Date(time);
  if (!Number.isFinite(date.getTime()) || date.getUTCFullYear() > 9999) return null;
  return date.toISOString();
}

function zoneOffsetMinutes(zone: string | undefined): number | null {
  if (zone === undefined || /^(?:Z|UTC|GMT)$/i.test(zone)) return 0;
  const m = /^([+-])(\d{2}):?(\d{2})?$/.exec(zone);
  if (!m) return null;
  const hours = Number(m[2]);
  const minutes = Number(m[3] ?? 0);
  if (hours > 14 || minutes > 59) return null;
  return (m[1] === "-" ? -1 : 1) * (hours * 60 + minutes);
}
