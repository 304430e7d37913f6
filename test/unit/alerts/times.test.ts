import { describe, expect, it } from "vitest";
import { parseAlertTime } from "../../../src/shared/alerts/times.ts";

describe("parseAlertTime: alert timestamps to ISO 8601 UTC", () => {
  it.each([
    ["2019-03-22T13:58:24.3713213Z", "2019-03-22T13:58:24.371Z"],
    ["2025-04-15T17:55:39.04Z", "2025-04-15T17:55:39.040Z"],
    ["2021-11-17T05:34:48.0623172", "2021-11-17T05:34:48.062Z"],
    ["2021-11-16T08:27:36.1836909+00:00", "2021-11-16T08:27:36.183Z"],
    ["2019-08-26T08:34:14+02:00", "2019-08-26T06:34:14.000Z"],
    ["2021-11-15T15:16:49Z", "2021-11-15T15:16:49.000Z"],
    ["2022-11-01", "2022-11-01T00:00:00.000Z"],
    ["3/22/2019 1:36:31 PM", "2019-03-22T13:36:31.000Z"],
    ["3/22/2019 12:05:00 AM", "2019-03-22T00:05:00.000Z"],
    ["3/22/2019 12:05:00 PM", "2019-03-22T12:05:00.000Z"],
    ["11/17/2021 5:40:29 PM -08:00", "2021-11-18T01:40:29.000Z"],
    ["06/25/2017 19:59:39", "2017-06-25T19:59:39.000Z"],
    ["Wed, 21 Aug 2019 16:17:47 GMT", "2019-08-21T16:17:47.000Z"],
  ])("%j → %s", (input, iso) => {
    expect(parseAlertTime(input)).toBe(iso);
  });

  it.each([
    ["not a date"],
    [""],
    ["2019-02-30T00:00:00Z"],
    ["2019-13-01T00:00:00Z"],
    ["2019-03-22T25:00:00Z"],
    ["13/22/2019 1:36:31 PM"],
    ["3/22/2019 13:36:31 PM"],
    ["0099-01-01T00:00:00Z"],
    ["2019-03-22T13:58:24Z+99:00"],
    [1553262504000],
    [null],
    [{}],
    ["9".repeat(100)],
    ["9999-12-31T23:00:00-14:00"],
  ])("%j → null", (input) => {
    expect(parseAlertTime(input)).toBeNull();
  });

  it("does not depend on the host time zone", () => {
    const tz = process.env.TZ;
    try {
      process.env.TZ = "America/Los_Angeles";
      expect(parseAlertTime("3/22/2019 1:36:31 PM")).toBe("2019-03-22T13:36:31.000Z");
      expect(parseAlertTime("2021-11-17T05:34:48")).toBe("2021-11-17T05:34:48.000Z");
    } finally {
      if (tz === undefined) delete process.env.TZ;
      else process.env.TZ = tz;
    }
  });
});
