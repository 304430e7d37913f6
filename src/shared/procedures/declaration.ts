import type { z } from "zod";
import type { ChangeControl } from "../change-control/control.ts";
import type { OpsPolicy } from "../config/policy.ts";
import type { Logger } from "../log.ts";
import type { Clock } from "../ports/clock.ts";
import type { PortName, Ports } from "../ports/catalogue.ts";
import type { Status } from "./status.ts";

/** The app roles of the Phoenix Ops API registration (its manifest's appRoles values). */
export type AppRole = "Ops.Reader" | "Ops.Operator";

/** How a run was started. */
export type Trigger = "http" | "timer" | "queue" | "cli" | "direct" | "local";

/** What every run is given besides its ports and its input. */
export interface RunContext {
  policy: OpsPolicy;
  clock: Clock;
  /** The invocation's logger: it carries the invocation id and function name. */
  logger: Logger;
  trigger: Trigger;
  /** Who asked: the operator's name from their token, "timer", "alert", ... */
  actor: string;
  invocationId: string;
  abortSignal?: AbortSignal;
  /** Public base URL of the app, for links in emails; null when unknown. */
  apiBaseUrl: string | null;
  /** Set for a scheduled run: the claimed period; side effects (emails) are keyed by `key`. */
  scheduled?: { period: string; key: string };
  /**
   * Change control, bound by the edge to the caller's dry run, key, force and reason: present exactly
   * when the procedure changes the estate, and its only way to a port's write method.
   */
  change?: ChangeControl;
}

export interface HttpBinding {
  method: "GET" | "POST";
  /** Route under /api, with `{name}` parameters that are fields of the input. */
  route: string;
  /**
   * The app role an operator needs, or "webhook": the caller proves itself another way (the function
   * key, and the action group's secure-webhook token when required).
   */
  auth: AppRole | "webhook";
  /** Status of a successful answer (200 by default). */
  status?: number;
  /** Hands the operation the body's text as well (a webhook keeps what it was sent). */
  rawBody?: boolean;
  /** The body limit's setting, when it is not PHOENIX_HTTP_MAX_BODY_BYTES. */
  maxBodySetting?: "PHOENIX_ALERTS_MAX_BODY_BYTES";
}

export interface TimerBinding {
  /** The function's name, e.g. "health-check-daily". */
  name: string;
  /** 6-field NCRONTAB, UTC. */
  schedule: string;
  /** The period a tick runs for; each (scope, period) runs once across all instances. */
  period: "day" | "month";
  /** Whether this tick is due for its period yet (e.g. at or after the policy's hour). */
  due?: (policy: OpsPolicy, now: Date) => boolean | string;
  /** What the tick runs for: one input per scope (e.g. one per environment). */
  scopes: (policy: OpsPolicy) => { scope: string; input: unknown }[];
}

export interface QueueBinding {
  /** The function's name, e.g. "alerts-process". */
  name: string;
  queue: string;
}

/** Answers that are not JSON documents to be serialised: a stored JSON text, for instance. */
export class RawJson {
  constructor(readonly body: string) {}
}

/**
 * An answer that is a file (a zip, a PDF): the HTTP edge answers its bytes as an attachment, and the
 * CLI writes it to a file instead of printing it (see `cli.outputFile`).
 */
export class BinaryFile {
  constructor(
    readonly contentType: string,
    /** A plain file name, no folders: the attachment's and the CLI's default. */
    readonly fileName: string,
    readonly bytes: Uint8Array,
  ) {}
}

/**
 * A procedure, declared once: the CLI command, the HTTP route, the timer and the queue triggers are
 * all built from this by the registration layer and the CLI.
 */
export interface Procedure<
  Schema extends z.ZodObject = z.ZodObject,
  Result = unknown,
  P extends PortName = PortName,
> {
  /** The CLI command ("health-check", "incidents list"), the function-name stem and the audit name. */
  name: string;
  /** One line: the CLI's help. */
  summary: string;
  /** More help, shown under the command's options. */
  description?: string;
  /** Every input, from the HTTP body or query, the CLI flags or a timer tick, is parsed with this. */
  input: Schema;
  ports: readonly P[];
  run(ports: Pick<Ports, P>, input: z.output<Schema>, context: RunContext, raw?: string): Promise<Result>;
  /** The result's status, for the CLI's exit code; ok when absent. */
  status?(result: Result): Status;
  /** The result for a terminal; JSON when absent. */
  table?(result: Result): string;
  /**
   * Whether it changes the estate. Then the registry adds the change options (dry run, reason, key,
   * force) to its input on every edge and hands its run `context.change`.
   */
  changesEstate: boolean;
  http?: HttpBinding;
  timer?: TimerBinding;
  queue?: QueueBinding;
  cli?: {
    /** Input fields given as positional arguments, in order (e.g. an incident id). */
    positionals?: readonly string[];
    /** Runs in the CLI's own process with no app behind it (reads only local files). */
    local?: boolean;
    /** Not a CLI command (webhooks and queue steps). */
    hidden?: boolean;
    /** Short flags the guide does not have but people expect, by field. */
    aliases?: Readonly<Record<string, string>>;
    /**
     * The result is a BinaryFile: the CLI takes --output-file (default: the file's name in the current
     * folder), writes it there, and reports the path with `contents(file)` (JSON) or `table` (text).
     */
    outputFile?: { contents(file: BinaryFile): unknown };
  };
}

/** A declaration with its types erased, as the registry holds it. */
// The registry holds procedures of different inputs and results; `any` erases them in one place only.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyProcedure = Procedure<z.ZodObject, any, PortName>;

/** Keeps the declaration's types while checking its shape. */
export function defineProcedure<Schema extends z.ZodObject, Result, P extends PortName>(
  procedure: Procedure<Schema, Result, P>,
): Procedure<Schema, Result, P> {
  return procedure;
}
