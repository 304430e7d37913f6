/**
 * NCRONTAB schedules as the Functions timer trigger reads them: six fields,
 * `{second} {minute} {hour} {day} {month} {day-of-week}`, evaluated here in UTC (Flex Consumption has
 * no time-zone setting).
 *
 * Parsing and evaluation are croner's. This module only holds croner to what NCrontab accepts: exactly
 * six fields; `*`, lists, ranges and steps, but none of croner's extensions (`?`, `L`, `W`, `#`, `+`,
 * day-of-week 7, `/n` without a start); and day-of-month AND day-of-week (Unix cron matches either
 * when both are restricted).
 */
import { Cron } from "croner";

interface FieldSpec {
  name: string;
  min: number;
  max: number;
  names?: readonly string[];
}

const FIELDS: readonly FieldSpec[] = [
  { name: "second", min: 0, max: 59 },
  { name: "minute", min: 0, max: 59 },
  { name: "hour", min: 0, max: 23 },
  { name: "day", min: 1, max: 31 },
  {
    name: "month",
    min: 1,
    max: 12,
    names: ["january", "february", "march", "april", "may", "june", "july"].concat([
      "august",
      "september",
      "october",
      "november",
      "december",
    ]),
  },
  {
    name: "day-of-week",
    min: 0,
    max: 6,
    names: ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"],
  },
];

/** One list item in NCrontab's grammar: `*`, a value or a range, optionally followed by `/step`. */
const ITEM = /^(?:\*|([0-9a-z]+)(?:-([0-9a-z]+))?)(?:\/([0-9]+))?$/i;

export class NCrontabSchedule {
  readonly expression: string;
  readonly #cron: Cron;

  private constructor(expression: string, cron: Cron) {
    this.expression = expression;
    this.#cron = cron;
  }

  /** Parses a six-field expression; throws an Error naming the expression and what is wrong with it. */
  static parse(expression: string): NCrontabSchedule {
    const trimmed = expression.trim();
    const parts = trimmed.split(/\s+/);
    if (parts.length !== FIELDS.length) {
      throw new Error(
        `"${expression}" is not a six-field NCRONTAB expression ({second} {minute} {hour} {day} {month} {day-of-week})`,
      );
    }
    const pattern = parts.map((text, i) => checkField(text, FIELDS[i] as FieldSpec, trimmed)).join(" ");
    let cron: Cron;
    try {
      // No callback, so croner only evaluates the pattern and never starts a timer.
      cron = new Cron(pattern, { timezone: "UTC", mode: "6-part", domAndDow: true, sloppyRanges: true });
    } catch (error) {
      throw new Error(`"${trimmed}" is not a valid NCRONTAB expression: ${(error as Error).message}`, {
        cause: error,
      });
    }
    return new NCrontabSchedule(trimmed, cron);
  }

  /** The first occurrence strictly after `after` (to the second), or undefined if there is none. */
  next(after: Date): Date | undefined {
    return this.#cron.nextRun(after) ?? undefined;
  }

  /** The next `count` occurrences after `after`. */
  nextOccurrences(after: Date, count: number): Date[] {
    return count > 0 ? this.#cron.nextRuns(count, after) : [];
  }

  toString(): string {
    return `Cron: '${this.expression}'`;
  }
}

/**
 * Rejects what croner accepts but NCrontab does not, and rewrites month and day names (NCrontab takes
 * "Monday" or "Mon"; croner takes only "mon") so croner can read the field.
 */
function checkField(text: string, spec: FieldSpec, expression: string): string {
  const fail = (why: string): never => {
    throw new Error(`"${expression}": ${spec.name} field "${text}" ${why}`);
  };
  return text
    .split(",")
    .map((item) => {
      const match = ITEM.exec(item);
      if (!match) return fail(`is not NCRONTAB syntax ("*", a value or a range, then an optional "/step")`);
      const [, first, last, step] = match;
      if (step !== undefined && Number(step) < 1) fail(`has an invalid step "${step}"`);
      for (const value of [first, last]) {
        if (value === undefined || !/^\d+$/.test(value)) continue;
        if (Number(value) < spec.min || Number(value) > spec.max)
          fail(`is out of range ${spec.min}-${spec.max}`);
      }
      return item.replace(/[a-z]+/gi, (name) => {
        const lower = name.toLowerCase();
        const full =
          lower.length >= 3 ? spec.names?.find((candidate) => candidate.startsWith(lower)) : undefined;
        return full === undefined ? fail(`has an invalid value "${name}"`) : full.slice(0, 3);
      });
    })
    .join(",");
}
