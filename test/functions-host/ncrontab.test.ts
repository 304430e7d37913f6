import { describe, expect, it } from "vitest";
import { NCrontabSchedule } from "../../local/functions-host/ncrontab.ts";

const at = (iso: string) => new Date(iso);
const next = (expression: string, after: string, count = 1) =>
  NCrontabSchedule.parse(expression)
    .nextOccurrences(at(after), count)
    .map((d) => d.toISOString());

describe("NCRONTAB schedules (UTC)", () => {
  it("steps seconds and minutes", () => {
    expect(next("*/15 * * * * *", "2025-01-01T00:00:07Z", 3)).toEqual([
      "2025-01-01T00:00:15.000Z",
      "2025-01-01T00:00:30.000Z",
      "2025-01-01T00:00:45.000Z",
    ]);
    expect(next("0 */5 * * * *", "2025-01-01T10:02:00Z")).toEqual(["2025-01-01T10:05:00.000Z"]);
  });

  it("is strictly after the given time", () => {
    expect(next("0 0 * * * *", "2025-01-01T10:00:00Z")).toEqual(["2025-01-01T11:00:00.000Z"]);
  });

  it("reads the guide's schedules: daily, weekly, monthly", () => {
    expect(next("0 0 6 * * *", "2025-03-10T07:00:00Z")).toEqual(["2025-03-11T06:00:00.000Z"]);
    // 2025-03-10 is a Monday; Sunday is 0.
    expect(next("0 0 3 * * 0", "2025-03-10T00:00:00Z")).toEqual(["2025-03-16T03:00:00.000Z"]);
    expect(next("0 0 4 1 * *", "2025-03-10T00:00:00Z")).toEqual(["2025-04-01T04:00:00.000Z"]);
  });

  it("accepts ranges, lists, steps over ranges and names", () => {
    expect(next("0 30 9 * * mon-fri", "2025-03-14T10:00:00Z", 2)).toEqual([
      "2025-03-17T09:30:00.000Z",
      "2025-03-18T09:30:00.000Z",
    ]);
    expect(next("0 0 0 1 jan,jul *", "2025-02-01T00:00:00Z")).toEqual(["2025-07-01T00:00:00.000Z"]);
    expect(next("0 0 8-18/5 * * *", "2025-01-01T00:00:00Z", 3)).toEqual([
      "2025-01-01T08:00:00.000Z",
      "2025-01-01T13:00:00.000Z",
      "2025-01-01T18:00:00.000Z",
    ]);
    expect(next("5/20 * * * * *", "2025-01-01T00:00:00Z", 3)).toEqual([
      "2025-01-01T00:00:05.000Z",
      "2025-01-01T00:00:25.000Z",
      "2025-01-01T00:00:45.000Z",
    ]);
  });

  it("requires day-of-month and day-of-week to match together, as NCrontab does", () => {
    // The 13th that is a Friday, not every 13th and every Friday.
    expect(next("0 0 0 13 * fri", "2025-01-01T00:00:00Z", 2)).toEqual([
      "2025-06-13T00:00:00.000Z",
      "2026-02-13T00:00:00.000Z",
    ]);
  });

  it("finds leap days", () => {
    expect(next("0 0 12 29 2 *", "2025-01-01T00:00:00Z")).toEqual(["2028-02-29T12:00:00.000Z"]);
  });

  it("returns nothing for a date that never comes", () => {
    expect(NCrontabSchedule.parse("0 0 0 31 2 *").next(at("2025-01-01T00:00:00Z"))).toBeUndefined();
  });

  it("evaluates in UTC whatever the process's time zone", () => {
    const saved = process.env.TZ;
    process.env.TZ = "America/New_York";
    try {
      // 2025-03-09 is the US spring-forward day; in UTC it is an ordinary day.
      expect(next("0 30 2 * * *", "2025-03-08T12:00:00Z", 2)).toEqual([
        "2025-03-09T02:30:00.000Z",
        "2025-03-10T02:30:00.000Z",
      ]);
    } finally {
      if (saved === undefined) delete process.env.TZ;
      else process.env.TZ = saved;
    }
  });

  it("accepts full month and day names as NCrontab does", () => {
    expect(next("0 0 9 * * Monday", "2025-03-10T10:00:00Z")).toEqual(["2025-03-17T09:00:00.000Z"]);
    expect(next("0 0 0 1 January-February *", "2025-01-15T00:00:00Z")).toEqual(["2025-02-01T00:00:00.000Z"]);
  });

  it("rejects what the host rejects", () => {
    expect(() => NCrontabSchedule.parse("0 5 * * *")).toThrow(/six-field/);
    expect(() => NCrontabSchedule.parse("0 0 0 * * * 2030")).toThrow(/six-field/);
    expect(() => NCrontabSchedule.parse("00:05:00")).toThrow(/six-field/);
    expect(() => NCrontabSchedule.parse("60 * * * * *")).toThrow(/second field "60" is out of range/);
    expect(() => NCrontabSchedule.parse("0 0 0 * * 7")).toThrow(/day-of-week field "7" is out of range 0-6/);
    expect(() => NCrontabSchedule.parse("0 0 0 * * xyz")).toThrow(/invalid value "xyz"/);
    expect(() => NCrontabSchedule.parse("0 0 0 * * mar")).toThrow(/invalid value "mar"/);
    expect(() => NCrontabSchedule.parse("*/0 * * * * *")).toThrow(/step/);
    expect(() => NCrontabSchedule.parse("0 0 0 * * 5-2")).toThrow(/not a valid NCRONTAB expression/);
  });

  it("rejects croner's extensions, which NCrontab does not have", () => {
    for (const expression of [
      "0 0 0 ? * *",
      "0 0 0 L * *",
      "0 0 0 15W * *",
      "0 0 0 * * 5#2",
      "0 0 0 * * +1",
      "/10 * * * * *",
      "@daily",
    ]) {
      expect(() => NCrontabSchedule.parse(expression), expression).toThrow();
    }
  });
});
