import { randomBytes } from "node:crypto";
import type { OpsPolicy } from "../config/policy.ts";
import { OpsError, describeError } from "../errors.ts";
import { sha256 } from "../hashing.ts";
import type { Logger } from "../log.ts";
import type { ChangeJournal } from "../ports/change-journal.ts";
import type { Clock } from "../ports/clock.ts";
import type { ResourceLeases } from "../ports/resource-leases.ts";
import { ChangeToken } from "./change-token.ts";
import { type Blocked, checkGuardrails } from "./guardrails.ts";
import type { ChangeEvent, ChangeRecord, ChangeRequester } from "./model.ts";

export interface ChangeControlDeps {
  policy: OpsPolicy;
  journal: ChangeJournal;
  leases: ResourceLeases;
  clock: Clock;
  logger: Logger;
  /** Tells people what changed (or was blocked); a failure to tell is logged, never undoes a change. */
  notify?: (record: ChangeRecord) => Promise<void>;
  abortSignal?: AbortSignal;
}

/** What a plan says: the state it leads to and the change in words, or why the procedure refuses it. */
export type Plan<State> = { after: State; summary: string } | { blocked: Blocked } | { noChange: string };

/**
 * A change, as a procedure describes it to change control. Change control reads, plans, checks the
 * guardrails, records, applies with a token it alone issues, reads back and verifies.
 */
export interface ChangeSpec<State> {
  /** The natural key (alert id + rule, a client's key, a derived one); one change per key. */
  key: string;
  procedure: string;
  environment: string;
  resourceId: string;
  action: string;
  reason: string;
  requestedBy: ChangeRequester;
  /** What was asked, in a stable form: the same key with another request is refused. */
  request: unknown;
  dryRun: boolean;
  force?: { reason: string };
  /**
   * Set when the change undoes another (a swap-back, an emergency rollback): the cooldown and the
   * hourly limit, which keep a resource from changing too often, do not hold off its repair. A freeze
   * still does.
   */
  remedy?: string;
  read(): Promise<State>;
  plan(before: State): Plan<State>;
  /** Makes the change and waits for the long-running operation to end. */
  apply(token: ChangeToken, before: State, after: State): Promise<void>;
  /**
   * Whether the observed state is the expected one: the read-back against the plan's state, and, when
   * a crashed change is resumed, the resource against the state it was planned from.
   */
  verify(expected: State, observed: State): boolean;
}

/**
 * The one door to the estate. Idempotent on the spec's key: a repeated or redelivered request answers
 * the first change's record; a change left "started" by a crash is finished (verified, or applied again:
 * every apply sets a state, so applying it twice changes nothing more). Two instances racing on one
 * resource: the per-resource lease lets one through and records the other as in flight.
 */
export async function executeChange<State>(
  deps: ChangeControlDeps,
  spec: ChangeSpec<State>,
): Promise<ChangeRecord> {
  const { journal, clock } = deps;
  const options = { abortSignal: deps.abortSignal };
  const now = clock.now();
  const requestHash = sha256(
    JSON.stringify({
      procedure: spec.procedure,
      resourceId: spec.resourceId,
      request: spec.request,
      dryRun: spec.dryRun,
    }),
  );
  const fresh: ChangeRecord = {
    id: `CHG-${now.toISOString().slice(0, 10).replace(/-/g, "")}-${randomBytes(4).toString("hex")}`,
    key: spec.key,
    requestHash,
    procedure: spec.procedure,
    environment: spec.environment,
    resourceId: spec.resourceId,
    action: spec.action,
    reason: spec.reason,
    requestedBy: spec.requestedBy,
    dryRun: spec.dryRun,
    forced: spec.force ?? null,
    status: "requested",
    summary: spec.action,
    before: null,
    after: null,
    observed: null,
    blockedBy: null,
    error: null,
    createdAt: now.toISOString(),
    startedAt: null,
    finishedAt: null,
  };
  const { created, record: claimed } = await journal.claim(fresh, options);
  if (!created) {
    if (claimed.requestHash !== requestHash) {
      throw new OpsError(
        "Conflict",
        `change key "${spec.key}" was used for another request (${claimed.id}); use a new key`,
        {
          details: { field: "key", changeId: claimed.id },
        },
      );
    }
    // Finished: the first change's record is the answer.
    if (claimed.status === "requested") {
      // Claimed but not yet applied: another delivery is planning it now, or one crashed while it did.
      const stale =
        now.getTime() - Date.parse(claimed.createdAt) > deps.policy.changeControl.leaseSeconds * 1000;
      return stale ? continueFresh(deps, spec, claimed) : claimed;
    }
    if (claimed.status === "started") return resume(deps, spec, claimed);
    return claimed;
  }
  return continueFresh(deps, spec, claimed);
}

async function continueFresh<State>(
  deps: ChangeControlDeps,
  spec: ChangeSpec<State>,
  record: ChangeRecord,
): Promise<ChangeRecord> {
  const { journal, clock, policy } = deps;
  const options = { abortSignal: deps.abortSignal };
  await event(
    deps,
    record.id,
    "requested",
    `${spec.action} by ${spec.requestedBy.name}${spec.dryRun ? " (dry run)" : ""}: ${spec.reason}`,
  );
  // The lease first, the guardrails next: an instance that passed the cooldown check before another's
  // change finished would otherwise get the lease after it and change the resource a second time.
  const holder = runHolder(record.id);
  const leased =
    spec.dryRun ||
    (await deps.leases.acquire(spec.resourceId, holder, policy.changeControl.leaseSeconds * 1000, options));
  if (!leased) {
    return finish(
      deps,
      record.id,
      {
        status: "in-flight",
        blockedBy: { rule: "lease", detail: "another change of this resource is in flight" },
      },
      "another change of this resource is in flight",
    );
  }
  try {
    const recent = await journal.list(
      {
        resourceId: spec.resourceId,
        since: new Date(clock.now().getTime() - 24 * 3_600_000).toISOString(),
        limit: 200,
      },
      options,
    );
    const blocked = checkGuardrails(
      policy,
      { ...record, remedy: spec.remedy },
      recent.filter((c) => c.id !== record.id),
      clock.now(),
    );
    if (blocked && !spec.dryRun)
      return await finish(
        deps,
        record.id,
        { status: "blocked", blockedBy: blocked },
        `blocked by ${blocked.rule}: ${blocked.detail}`,
      );

    let before: State;
    try {
      before = await spec.read();
    } catch (error) {
      return await finish(
        deps,
        record.id,
        { status: "failed", error: describeError(error) },
        `could not read the resource: ${describeError(error)}`,
      );
    }
    const plan = spec.plan(before);
    if ("blocked" in plan) {
      return await finish(
        deps,
        record.id,
        { status: "blocked", blockedBy: plan.blocked, before },
        `blocked by ${plan.blocked.rule}: ${plan.blocked.detail}`,
      );
    }
    if ("noChange" in plan)
      return await finish(
        deps,
        record.id,
        { status: "no-change", before, summary: plan.noChange },
        plan.noChange,
      );
    if (spec.dryRun) {
      return await finish(
        deps,
        record.id,
        { status: "dry-run", before, after: plan.after, summary: plan.summary, blockedBy: blocked ?? null },
        `dry run: ${plan.summary}${blocked ? ` (a real change would be blocked by ${blocked.rule})` : ""}`,
      );
    }
    // The "started" record, with the plan, is written before anything changes.
    const started = await journal.update(
      record.id,
      (current) => ({
        ...current,
        status: "started",
        before,
        after: plan.after,
        summary: plan.summary,
        startedAt: clock.now().toISOString(),
      }),
      options,
    );
    await event(deps, record.id, "started", plan.summary);
    return await applyAndVerify(deps, spec, started, before, plan.after);
  } finally {
    if (!spec.dryRun)
      await deps.leases.release(spec.resourceId, holder, options).catch((error: unknown) => {
        deps.logger.warn("change lease not released", { changeId: record.id, error: describeError(error) });
      });
  }
}

/** A change found "started": the instance that started it crashed, or is still at it. */
async function resume<State>(
  deps: ChangeControlDeps,
  spec: ChangeSpec<State>,
  record: ChangeRecord,
): Promise<ChangeRecord> {
  const options = { abortSignal: deps.abortSignal };
  const holder = runHolder(record.id);
  const leased = await deps.leases.acquire(
    spec.resourceId,
    holder,
    deps.policy.changeControl.leaseSeconds * 1000,
    options,
  );
  if (!leased) return record; // still in flight elsewhere: its record is the answer for now
  try {
    const planned = record.after as State;
    const observed = await spec.read();
    if (spec.verify(planned, observed)) {
      await event(deps, record.id, "resumed", "the change had been applied before a restart");
      return await finish(deps, record.id, { status: "succeeded", observed }, `verified: ${record.summary}`);
    }
    const before = record.before as State;
    if (!spec.verify(before, observed)) {
      // Neither the plan's state nor the one it was planned from: someone changed it since; leave it.
      return await finish(
        deps,
        record.id,
        {
          status: "failed",
          observed,
          error: "the resource changed after this change started; not applied again",
        },
        "not applied again: the resource changed since the change started",
      );
    }
    await event(deps, record.id, "resumed", "applying again after a restart");
    return await applyAndVerify(deps, spec, record, before, planned);
  } finally {
    await deps.leases.release(spec.resourceId, holder, options).catch(() => undefined);
  }
}

/**
 * Each run of a change holds the lease under its own name: a second delivery of the same change is
 * another holder, so it sees the first still in flight instead of taking over its lease.
 */
function runHolder(changeId: string): string {
  return `${changeId}|${randomBytes(4).toString("hex")}`;
}

async function applyAndVerify<State>(
  deps: ChangeControlDeps,
  spec: ChangeSpec<State>,
  record: ChangeRecord,
  before: State,
  after: State,
): Promise<ChangeRecord> {
  try {
    await spec.apply(ChangeToken.issue(record.id, spec.resourceId), before, after);
  } catch (error) {
    return finish(
      deps,
      record.id,
      { status: "failed", error: describeError(error) },
      `failed: ${describeError(error)}`,
    );
  }
  let observed: State;
  try {
    observed = await spec.read();
  } catch (error) {
    return finish(
      deps,
      record.id,
      { status: "failed", error: `applied, but could not be read back: ${describeError(error)}` },
      `read-back failed: ${describeError(error)}`,
    );
  }
  if (!spec.verify(after, observed)) {
    return finish(
      deps,
      record.id,
      { status: "failed", observed, error: "the resource does not show the change after it was applied" },
      "read-back does not show the change",
    );
  }
  return finish(deps, record.id, { status: "succeeded", observed }, `succeeded: ${record.summary}`);
}

async function finish(
  deps: ChangeControlDeps,
  id: string,
  patch: Partial<ChangeRecord>,
  detail: string,
): Promise<ChangeRecord> {
  const options = { abortSignal: deps.abortSignal };
  const record = await deps.journal.update(
    id,
    (current) => ({ ...current, ...patch, finishedAt: deps.clock.now().toISOString() }),
    options,
  );
  await event(deps, id, record.status, detail);
  deps.logger.info("change finished", {
    changeId: id,
    status: record.status,
    resourceId: record.resourceId,
    procedure: record.procedure,
  });
  if (deps.notify && record.status !== "no-change") {
    await deps.notify(record).catch((error: unknown) => {
      deps.logger.error("change notification failed", { changeId: id, error: describeError(error) });
    });
  }
  return record;
}

async function event(deps: ChangeControlDeps, id: string, step: string, detail: string): Promise<void> {
  const entry: ChangeEvent = { at: deps.clock.now().toISOString(), step, detail };
  await deps.journal.appendEvent(id, entry, { abortSignal: deps.abortSignal });
}
