import type { OpsPolicy } from "../config/policy.ts";
import { OpsError } from "../errors.ts";
import { sha256 } from "../hashing.ts";
import type { Logger } from "../log.ts";
import type { Ports } from "../ports/catalogue.ts";
import type { Clock } from "../ports/clock.ts";
import { type ChangeSpec, executeChange } from "./execute.ts";
import type { ChangeRecord, ChangeRequester } from "./model.ts";
import { notifyChange } from "./notify.ts";
import type { ChangeOptions } from "./options.ts";

/** A change as a procedure describes it; who asked, the key, dry run and force come from the edge. */
export type ProcedureChange<State> = Omit<
  ChangeSpec<State>,
  "key" | "dryRun" | "force" | "requestedBy" | "reason" | "procedure"
> & {
  /**
   * The natural key when the caller gave none: the alert id and rule of an alert-driven change, or what
   * was asked for an on-demand one. A dry run, a forced run and a plain run of one request get
   * different keys.
   */
  naturalKey: string;
  /** Who asked, when it is not the edge's caller (an alert and its incident). */
  requestedBy?: ChangeRequester;
  /** The reason when the caller gave none. */
  defaultReason: string;
  /**
   * A change the procedure makes after the one asked for (a swap-back of a failed swap): keyed by its
   * own natural key, never by the caller's key, which belongs to the first change.
   */
  followUp?: boolean;
};

/**
 * Change control as a procedure's run sees it: the edge has bound the caller's options (dry run, key,
 * force, reason) and identity. It is the only way a procedure reaches a port's write method.
 */
export interface ChangeControl {
  readonly options: ChangeOptions;
  execute<State>(change: ProcedureChange<State>): Promise<ChangeRecord>;
}

export interface ChangeControlContext {
  policy: OpsPolicy;
  clock: Clock;
  logger: Logger;
  procedure: string;
  requestedBy: ChangeRequester;
  apiBaseUrl: string | null;
  abortSignal?: AbortSignal;
}

export type ChangeControlPorts = Pick<Ports, "changes" | "leases" | "outbox" | "queue">;

export function createChangeControl(
  ports: ChangeControlPorts,
  options: ChangeOptions,
  context: ChangeControlContext,
): ChangeControl {
  if (options.force && !options.reason) {
    throw new OpsError("BadRequest", "a forced change needs a reason", {
      details: { field: "reason" },
    });
  }
  return {
    options,
    execute<State>(change: ProcedureChange<State>): Promise<ChangeRecord> {
      const { naturalKey, requestedBy, defaultReason, followUp, ...spec } = change;
      // A dry run, a forced run and a plain run of one request are three changes, whoever names the key.
      const base = options.key && !followUp ? `key:${options.key}` : naturalKey;
      const key = `${base}${options.dryRun ? "|dry-run" : ""}${options.force ? "|forced" : ""}`;
      return executeChange(
        {
          policy: context.policy,
          journal: ports.changes,
          leases: ports.leases,
          clock: context.clock,
          logger: context.logger,
          abortSignal: context.abortSignal,
          notify: (record) =>
            notifyChange(
              { ...ports, clock: context.clock, policy: context.policy, apiBaseUrl: context.apiBaseUrl },
              record,
            ),
        },
        {
          ...spec,
          // Keys are stored as row keys: a long natural key is kept as its digest.
          key: key.length > 200 ? `sha256:${sha256(key)}` : key,
          procedure: context.procedure,
          requestedBy: requestedBy ?? context.requestedBy,
          reason: options.reason ?? defaultReason,
          dryRun: options.dryRun,
          ...(options.force && options.reason ? { force: { reason: options.reason } } : {}),
        },
      );
    },
  };
}
