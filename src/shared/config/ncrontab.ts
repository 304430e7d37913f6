import { Cron } from "croner";

/**
 * NCRONTAB as Azure Functions reads it: six fields (seconds first), UTC, day-of-month AND day-of-week.
 * croner (maintained, dependency-free) does the parsing and the date arithmetic.
 */
export function ncrontab(schedule: string): Cron {
  return new Cron(schedule, { timezone: "UTC", mode: "6-part", domAndDow: true, paused: true });
}
