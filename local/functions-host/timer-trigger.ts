/**
 * The timer trigger, following the timers extension's TimerListener: one invocation at a time, the
 * next occurrence computed after each run, `runOnStartup` as an immediate first run, and the
 * schedule status (Last/Next/LastUpdated) kept for schedules that are "monitored". The real host
 * keeps that status in blob storage to detect past-due runs across restarts; this host keeps it in
 * memory, so `isPastDue` is always false.
 */
import type { RegisteredFunction } from "./core-module.ts";
import type { RpcParameterBinding, RpcRetryContext, RpcTypedData } from "./core-types.ts";
import { errorMessage, InvocationFailedError } from "./invoke.ts";
import type { HostLogger } from "./logger.ts";
import type { NCrontabSchedule } from "./ncrontab.ts";
import { runWithRetries } from "./retry.ts";
import { jsonData, sysMetadata } from "./typed-data.ts";

/** The host's DateTime.MinValue, which it reports before a timer has ever run. */
const NEVER = "0001-01-01T00:00:00";
/** setTimeout's limit (~24.8 days); longer waits are taken in steps, as the host does. */
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

export type ExecuteTimerInvocation = (
  inputData: RpcParameterBinding[],
  triggerMetadata: Record<string, RpcTypedData>,
  retryContext: RpcRetryContext | undefined,
) => Promise<void>;

export interface TimerListenerOptions {
  fn: RegisteredFunction;
  bindingName: string;
  schedule: NCrontabSchedule;
  runOnStartup: boolean;
  /** From the binding's `useMonitor`, else the host's rule: off when it fires more than once a minute. */
  useMonitor: boolean | undefined;
  execute: ExecuteTimerInvocation;
  logger: HostLogger;
}

interface ScheduleStatus {
  Last: string;
  Next: string;
  LastUpdated: string;
}

export class TimerListener {
  readonly #o: TimerListenerOptions;
  readonly #useMonitor: boolean;
  readonly #stop = new AbortController();
  #status: ScheduleStatus;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;

  constructor(options: TimerListenerOptions) {
    this.#o = options;
    const now = new Date();
    this.#useMonitor = options.useMonitor ?? !firesTwiceWithinAMinute(options.schedule, now);
    this.#status = { Last: NEVER, Next: iso(options.schedule.next(now)), LastUpdated: NEVER };
  }

  start(): void {
    const { fn, schedule, logger } = this.#o;
    const next = schedule.nextOccurrences(new Date(), 5).map((d) => d.toISOString());
    logger.host(
      "information",
      `The next 5 occurrences of the '${fn.metadata.name}' schedule (${schedule.toString()}) will be (UTC): ${next.join(", ")}`,
    );
    if (this.#o.runOnStartup) {
      this.#arm(0, () => this.#fire(true));
    } else {
      this.#armForNext();
    }
  }

  /** Stops the schedule and waits for a running invocation to finish. */
  async stop(): Promise<void> {
    this.#stop.abort();
    clearTimeout(this.#timer);
    await this.#running;
  }

  /**
   * The trigger input for a run that the schedule did not start (admin API, `invoke`): the host
   * binds a fresh TimerInfo with the stored status and no past-due flag.
   */
  manualInput(): [RpcParameterBinding[], Record<string, RpcTypedData>] {
    return this.#input(false);
  }

  #armForNext(): void {
    const next = new Date(this.#status.Next);
    if (Number.isNaN(next.getTime())) return;
    this.#arm(next.getTime() - Date.now(), () => this.#fire(false));
  }

  #arm(delayMs: number, fire: () => void): void {
    if (this.#stop.signal.aborted) return;
    const wait = Math.max(0, delayMs);
    if (wait > MAX_TIMEOUT_MS) {
      this.#timer = setTimeout(() => this.#armForNext(), MAX_TIMEOUT_MS);
    } else {
      this.#timer = setTimeout(fire, wait);
    }
  }

  #fire(runOnStartup: boolean): void {
    const invocationTime = new Date();
    this.#running = this.#invoke(invocationTime, runOnStartup).finally(() => {
      this.#running = undefined;
      this.#armForNext();
    });
  }

  async #invoke(invocationTime: Date, runOnStartup: boolean): Promise<void> {
    const { fn, execute, logger } = this.#o;
    const [inputData, triggerMetadata] = this.#input(false);
    try {
      await runWithRetries(fn.metadata.retryOptions, this.#stop.signal, (retryContext) =>
        execute(inputData, triggerMetadata, retryContext),
      );
    } catch (error) {
      // A failed run never stops the schedule; the invoker has logged the failure.
      if (!(error instanceof InvocationFailedError)) {
        logger.host(
          "error",
          `Error occurred during scheduled invocation for '${fn.metadata.name}': ${errorMessage(error)}`,
        );
      }
    }
    // A timer that fired a little early must not compute the same Next twice (TimerListener does this too).
    const scheduled = new Date(this.#status.Next);
    const adjusted =
      !runOnStartup && scheduled.getTime() > invocationTime.getTime() ? scheduled : invocationTime;
    this.#status = {
      Last: adjusted.toISOString(),
      Next: iso(this.#o.schedule.next(adjusted)),
      LastUpdated: adjusted.toISOString(),
    };
  }

  /** TimerInfo as the host serialises it; `@azure/functions` camel-cases it into its Timer type. */
  #input(isPastDue: boolean): [RpcParameterBinding[], Record<string, RpcTypedData>] {
    const timerInfo = {
      Schedule: { AdjustForDST: true },
      ScheduleStatus: this.#useMonitor ? { ...this.#status } : null,
      IsPastDue: isPastDue,
    };
    return [
      [{ name: this.#o.bindingName, data: jsonData(timerInfo) }],
      { TimerTrigger: { string: new Date().toISOString() }, sys: sysMetadata(this.#o.fn.metadata.name) },
    ];
  }
}

/** The timers extension turns schedule monitoring off for schedules that fire more than once a minute. */
function firesTwiceWithinAMinute(schedule: NCrontabSchedule, now: Date): boolean {
  const [first, second] = schedule.nextOccurrences(now, 2);
  return first !== undefined && second !== undefined && second.getTime() - now.getTime() <= 60_000;
}

function iso(date: Date | undefined): string {
  return date ? date.toISOString() : "";
}
