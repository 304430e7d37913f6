import type { ProcedureChange } from "../../change-control/control.ts";
import type { ChangeRecord, ChangeRequester } from "../../change-control/model.ts";
import { OpsError, describeError, isOpsError } from "../../errors.ts";
import type { CallOptions } from "../../ports/call-options.ts";
import type { ReleaseEntry } from "../../ports/release-ledger.ts";
import { type SlotState, productionSlot } from "../../ports/web-app-slots.ts";
import { queueNames } from "../../ports/work-queue.ts";
import type { RunContext } from "../../procedures/declaration.ts";
import { changeControlOf } from "../scaling/operation.ts";
import {
  type MaintenancePorts,
  type SiteTarget,
  badRequest,
  openMaintenanceIncident,
  packageOf,
  packageSetting,
  slotUrl,
  versionOf,
  versionSetting,
  versionUrl,
  warmupPathSetting,
  warmupStatusesSetting,
} from "./common.ts";
import { type Verification, verifySlot } from "./verify.ts";

/** What a slot runs, as a swap reads, plans and verifies it. */
export interface SlotRun {
  slot: string;
  version: string | null;
  package: string | null;
}

/** The state change control reads for a swap: both slots, the warm-up settings, a leftover preview. */
export interface SwapState {
  siteId: string;
  production: SlotRun;
  /** The other slot of the swap; null when production is repointed directly (no staging slot). */
  source: SlotRun | null;
  /** Whether the source slot carries the policy's warm-up settings as slot settings. */
  warmupSet: boolean;
  /** A swap with preview left the site prepared for this slot. */
  preview: string | null;
}

export interface SwapRequest {
  slot: string;
  targetSlot: string;
  /** Point the source slot (or production, when `direct`) at this version's package first. */
  stage?: { version: string; package: string };
  direct?: boolean;
  skipValidation: boolean;
  naturalKey: string;
  action: string;
  defaultReason: string;
  requestedBy?: ChangeRequester;
  remedy?: string;
  followUp?: boolean;
  asked: unknown;
}

function slotRun(slot: string, state: SlotState): SlotRun {
  return { slot, version: versionOf(state), package: packageOf(state) };
}

async function readSlot(
  ports: Pick<MaintenancePorts, "slots">,
  site: SiteTarget,
  slot: string,
  options: CallOptions,
): Promise<SlotState> {
  const state = await ports.slots.getSlot(
    site.subscriptionId,
    site.resourceGroup,
    site.siteName,
    slot,
    options,
  );
  if (!state) throw new OpsError("NotFound", `slot ${slot} of ${site.siteName} was not found`);
  return state;
}

export async function readSwap(
  ports: Pick<MaintenancePorts, "slots">,
  site: SiteTarget,
  request: Pick<SwapRequest, "slot" | "targetSlot" | "direct">,
  context: RunContext,
): Promise<SwapState> {
  const options = { abortSignal: context.abortSignal };
  const other = request.slot.toLowerCase() === productionSlot ? request.targetSlot : request.slot;
  const [production, source] = await Promise.all([
    readSlot(ports, site, productionSlot, options),
    request.direct ? Promise.resolve(undefined) : readSlot(ports, site, other, options),
  ]);
  const sticky = request.direct
    ? []
    : await ports.slots.slotSettingNames(site.subscriptionId, site.resourceGroup, site.siteName, options);
  const warmup = context.policy.maintenance;
  return {
    siteId: site.siteId,
    production: slotRun(productionSlot, production),
    source: source ? slotRun(other, source) : null,
    warmupSet:
      source !== undefined &&
      source.appSettings[warmupPathSetting] === warmup.warmupPingPath &&
      source.appSettings[warmupStatusesSetting] === warmup.warmupPingStatuses &&
      sticky.includes(warmupPathSetting) &&
      sticky.includes(warmupStatusesSetting),
    preview: production.targetSwapSlot ?? source?.targetSwapSlot ?? null,
  };
}

const describeRun = (run: SlotRun) => `${run.slot} (${run.version ?? "version unknown"})`;

/**
 * A swap as change control runs it: read both slots, plan the exchange (the version each slot will
 * run), then reset a leftover preview, set the warm-up slot settings, point the source slot at a
 * version (a rollback), wait for it to warm up, swap (waiting out another operation's 409) and read
 * back: production must run the version that was in the other slot.
 */
export function swapChange(
  ports: Pick<MaintenancePorts, "slots" | "probe">,
  site: SiteTarget,
  request: SwapRequest,
  context: RunContext,
): ProcedureChange<SwapState> {
  const options = { abortSignal: context.abortSignal };
  const settings = context.policy.maintenance;
  const target = {
    subscriptionId: site.subscriptionId,
    resourceGroup: site.resourceGroup,
    siteName: site.siteName,
  };
  return {
    naturalKey: request.naturalKey,
    defaultReason: request.defaultReason,
    ...(request.requestedBy ? { requestedBy: request.requestedBy } : {}),
    ...(request.remedy ? { remedy: request.remedy } : {}),
    ...(request.followUp ? { followUp: true } : {}),
    environment: site.environmentName,
    resourceId: site.siteId,
    action: request.action,
    request: request.asked,
    read: () => readSwap(ports, site, request, context),
    plan: (before) => {
      if (request.direct || !before.source) {
        const stage = request.stage;
        if (!stage)
          return { blocked: { rule: "no-slot", detail: `${site.siteName} has no slot to swap with` } };
        if (before.production.version === stage.version && before.production.package === stage.package) {
          return { noChange: `${site.siteName} already runs ${stage.version}` };
        }
        return {
          after: {
            ...before,
            production: { slot: productionSlot, version: stage.version, package: stage.package },
          },
          summary: `${site.siteName}: production repointed from ${before.production.version ?? "?"} to ${stage.version} (${stage.package}); there is no staging slot, so the app restarts`,
        };
      }
      const incoming: SlotRun = request.stage
        ? { slot: before.source.slot, version: request.stage.version, package: request.stage.package }
        : before.source;
      if (request.stage && before.production.version === request.stage.version) {
        return { noChange: `${site.siteName} already runs ${request.stage.version} in production` };
      }
      const notes = [
        before.preview ? `the swap preview left for ${before.preview} is reset first` : "",
        request.stage ? `${before.source.slot} is pointed at ${request.stage.package} first` : "",
        before.warmupSet || request.skipValidation
          ? ""
          : `warm-up slot settings set on ${before.source.slot}`,
      ].filter(Boolean);
      return {
        after: {
          ...before,
          production: { ...incoming, slot: productionSlot },
          source: { ...before.production, slot: before.source.slot },
          warmupSet: before.warmupSet || !request.skipValidation,
          preview: null,
        },
        summary: `${site.siteName}: swap ${describeRun(incoming)} → production, ${describeRun(before.production)} → ${before.source.slot}${notes.length ? ` (${notes.join("; ")})` : ""}`,
      };
    },
    apply: async (token, before) => {
      if (request.direct || !before.source) {
        const stage = request.stage;
        if (!stage) throw new OpsError("BadRequest", "nothing to repoint production to");
        await ports.slots.setAppSettings(
          token,
          { ...target, slot: productionSlot },
          { [versionSetting]: stage.version, [packageSetting]: stage.package },
          [],
          options,
        );
        return;
      }
      const slot = before.source.slot;
      if (before.preview) await ports.slots.resetSwapPreview(token, target, options);
      if (!before.warmupSet && !request.skipValidation) {
        await ports.slots.setAppSettings(
          token,
          { ...target, slot },
          {
            [warmupPathSetting]: settings.warmupPingPath,
            [warmupStatusesSetting]: settings.warmupPingStatuses,
          },
          [warmupPathSetting, warmupStatusesSetting],
          options,
        );
      }
      if (request.stage) {
        await ports.slots.setAppSettings(
          token,
          { ...target, slot },
          { [versionSetting]: request.stage.version, [packageSetting]: request.stage.package },
          [],
          options,
        );
        if (!request.skipValidation) await warmUp(ports, site, slot, request.stage.version, context);
      }
      await swapWaitingOutConflicts(ports, token, target, slot, context);
    },
    verify: (after, observed) =>
      after.production.version === observed.production.version &&
      after.production.package === observed.production.package,
  };
}

/** A 409 (another operation on the site) is waited out up to the policy's limit, then reported. */
async function swapWaitingOutConflicts(
  ports: Pick<MaintenancePorts, "slots">,
  token: Parameters<MaintenancePorts["slots"]["swap"]>[0],
  target: { subscriptionId: string; resourceGroup: string; siteName: string },
  slot: string,
  context: RunContext,
): Promise<void> {
  const settings = context.policy.maintenance;
  const deadline = Date.now() + settings.conflictWaitSeconds * 1000;
  const timeout = AbortSignal.timeout(settings.swapTimeoutSeconds * 1000);
  const abortSignal = context.abortSignal ? AbortSignal.any([context.abortSignal, timeout]) : timeout;
  for (let attempt = 1; ; attempt++) {
    try {
      await ports.slots.swap(token, target, slot, productionSlot, { abortSignal });
      return;
    } catch (error) {
      if (timeout.aborted) {
        throw new OpsError("Timeout", `the swap did not finish within ${settings.swapTimeoutSeconds} s`, {
          cause: error,
        });
      }
      if (!(isOpsError(error) && error.code === "Conflict") || Date.now() >= deadline) {
        if (isOpsError(error) && error.code === "Conflict") {
          throw new OpsError(
            "Conflict",
            `${describeError(error)}; waited ${settings.conflictWaitSeconds} s for it to end`,
            {
              cause: error,
            },
          );
        }
        throw error;
      }
      context.logger.info("swap waits out another operation", { site: target.siteName, attempt });
      await new Promise((resolve) => setTimeout(resolve, Math.min(2000, Math.max(0, deadline - Date.now()))));
    }
  }
}

/** Waits for a slot to answer healthy on the version it was pointed at (a rollback's warm-up). */
async function warmUp(
  ports: Pick<MaintenancePorts, "probe">,
  site: SiteTarget,
  slot: string,
  version: string,
  context: RunContext,
): Promise<void> {
  const healthUrl = site.component?.policy.healthUrl;
  if (!healthUrl) return;
  const url = slotUrl(healthUrl, site.siteName, slot);
  const version_ = versionUrl(url, context.policy.maintenance.versionPath);
  const deadline = Date.now() + context.policy.maintenance.warmupSeconds * 1000;
  let last = "";
  for (;;) {
    const timeoutInMs = context.policy.healthCheck.probeTimeoutMs;
    const [health, running] = await Promise.all([
      ports.probe.probe(url, { timeoutInMs, abortSignal: context.abortSignal }),
      ports.probe.probe(version_, { timeoutInMs, abortSignal: context.abortSignal, readBody: true }),
    ]);
    const runs = /"version"\s*:\s*"([^"]+)"/.exec(running.body ?? "")?.[1];
    if (health.statusCode !== undefined && health.statusCode < 400 && runs === version) return;
    last = `health ${health.statusCode ?? health.error ?? "?"}, version ${runs ?? "?"}`;
    if (Date.now() >= deadline) {
      throw new OpsError("Timeout", `${site.siteName}/${slot} did not warm up on ${version} (${last})`);
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

export type SwapDecision =
  "kept" | "swapped-back" | "swap-back-failed" | "swap-back-impossible" | "not-swapped" | "dry-run";

export interface SwapOutcome {
  site: string;
  slot: string;
  targetSlot: string;
  precheck: Verification | "skipped" | null;
  baseline: Verification | null;
  change: ChangeRecord;
  verification: Verification | null;
  decision: SwapDecision;
  reason: string;
  swapBack: ChangeRecord | null;
  incident: string | null;
  release: ReleaseEntry | null;
  /** A redelivered request: the first run's outcome, nothing done again. */
  repeated: boolean;
}

/**
 * A swap with verification: check the source slot (unless skipped), note production's state, swap
 * through change control, watch production for the policy's window, and swap back by itself when it
 * is worse than before (or when verification cannot tell and the policy says so). The swap and the
 * swap-back are two changes, linked in both records; a swap-back opens an incident.
 */
export async function swapWithVerification(
  ports: MaintenancePorts,
  context: RunContext,
  site: SiteTarget,
  request: SwapRequest & { via: "swap" | "rollback" },
): Promise<SwapOutcome> {
  const change = changeControlOf(context.change);
  const options = { abortSignal: context.abortSignal };
  const settings = context.policy.maintenance;
  const source = request.slot.toLowerCase() === productionSlot ? request.targetSlot : request.slot;
  let precheck: SwapOutcome["precheck"] = null;
  if (request.skipValidation) precheck = "skipped";
  else if (!request.stage && !request.direct) {
    const staging = await readSlot(ports, site, source, options);
    precheck = await verifySlot(ports, context, site, {
      slot: source,
      expectedVersion: versionOf(staging),
      seconds: 1,
      probes: 2,
      metrics: false,
    });
    if (precheck.status === "failed") {
      throw new OpsError("Conflict", `${source} is not ready to swap in: ${precheck.summary}`, {
        details: { field: "slot" },
      });
    }
  }
  const baseline = change.options.dryRun
    ? null
    : await verifySlot(ports, context, site, {
        slot: productionSlot,
        expectedVersion: null,
        seconds: 0,
        probes: 1,
        metrics: true,
      });
  const record = await change.execute(
    swapChange(
      ports,
      site,
      {
        ...request,
        defaultReason: `${request.defaultReason}${precheck === "skipped" ? " (validation skipped)" : ""}`,
      },
      context,
    ),
  );
  const outcome: SwapOutcome = {
    site: site.siteName,
    slot: request.slot,
    targetSlot: request.targetSlot,
    precheck,
    baseline,
    change: record,
    verification: null,
    decision: record.dryRun ? "dry-run" : "not-swapped",
    reason: record.dryRun ? "dry run: nothing changed" : `the change ${record.status}`,
    swapBack: null,
    incident: null,
    release: null,
    repeated: false,
  };
  if (record.status !== "succeeded") {
    if (record.status === "failed") {
      const incident = await openMaintenanceIncident(ports, context, {
        key: `maintenance|${record.id}|failed`,
        title: `${request.via === "rollback" ? "Rollback" : "Swap"} of ${site.siteName} failed`,
        description: `${record.summary}: ${record.error ?? "failed"}`,
        environment: site.environmentName,
        target: site.siteId,
        priority: request.via === "rollback" ? "critical" : "high",
        history: [`${record.id} failed: ${record.error ?? ""}`],
      });
      outcome.incident = incident.id;
    }
    return outcome;
  }
  const before = record.before as SwapState;
  const after = record.after as SwapState;
  const releaseId = `rel-${record.id}`;
  const known = await ports.releases.get(releaseId, options);
  if (known && known.verification !== "pending") {
    return {
      ...outcome,
      repeated: true,
      release: known,
      decision: "kept",
      reason: `already verified: ${known.verification}`,
    };
  }
  const release: ReleaseEntry = {
    id: releaseId,
    siteId: site.siteId.toLowerCase(),
    siteName: site.siteName,
    environment: site.environmentName,
    version: after.production.version ?? "unknown",
    package: after.production.package,
    kind: "live",
    slot: productionSlot,
    at: record.finishedAt ?? context.clock.now().toISOString(),
    by: record.requestedBy.name,
    via: request.via,
    verification: "pending",
    verificationSummary: null,
    changeId: record.id,
  };
  await ports.releases.record(release, options);

  const verification = await verifySlot(ports, context, site, {
    slot: productionSlot,
    expectedVersion: after.production.version,
    seconds: settings.verificationSeconds,
    probes: settings.verificationProbes,
    metrics: true,
  });
  outcome.verification = verification;
  await ports.releases.setVerification(releaseId, verification.status, verification.summary, options);
  outcome.release = {
    ...release,
    verification: verification.status,
    verificationSummary: verification.summary,
  };
  await ports.changes.appendEvent(
    record.id,
    { at: verification.at, step: `verification ${verification.status}`, detail: verification.summary },
    options,
  );

  const worse = verification.status === "failed" && baseline?.status !== "failed";
  const unknownBack = verification.status === "unknown" && settings.onUnknown === "swap-back";
  if (!worse && !unknownBack) {
    outcome.decision = "kept";
    outcome.reason =
      verification.status === "passed"
        ? "production verified"
        : verification.status === "unknown"
          ? "verification could not tell (policy onUnknown: keep): the new version stays"
          : "production failed verification, but it failed before the swap too: not worse, kept";
    if (verification.status !== "passed") {
      await ports.changes.appendEvent(
        record.id,
        { at: verification.at, step: "decision", detail: outcome.reason },
        options,
      );
    }
    return outcome;
  }
  const why = worse
    ? `production is worse than before the swap: ${verification.summary}`
    : `verification could not tell (${verification.summary}); the policy (onUnknown: swap-back) swaps back`;
  await ports.changes.appendEvent(
    record.id,
    { at: context.clock.now().toISOString(), step: "decision", detail: `swap back: ${why}` },
    options,
  );

  // The old version must still be in the slot for a swap-back to bring it back.
  const now = await readSwap(ports, site, request, context).catch(() => undefined);
  const back = now?.source && now.source.version === before.production.version && !request.direct;
  let swapBack: ChangeRecord | null = null;
  if (back) {
    swapBack = await change.execute(
      swapChange(
        ports,
        site,
        {
          slot: source,
          targetSlot: productionSlot,
          skipValidation: true,
          naturalKey: `swap-back|${record.id}`,
          action: "swap back",
          defaultReason: `swap-back of ${record.id}: ${why}`,
          requestedBy: { kind: "system", name: "swap-back" },
          remedy: record.id,
          followUp: true,
          asked: { undo: record.id },
        },
        context,
      ),
    );
    outcome.swapBack = swapBack;
    await ports.changes.appendEvent(
      record.id,
      {
        at: context.clock.now().toISOString(),
        step: "swapped back",
        detail: `${swapBack.id} ${swapBack.status}`,
      },
      options,
    );
    if (swapBack.status === "succeeded") {
      await ports.releases.record(
        {
          ...release,
          id: `rel-${swapBack.id}`,
          version: before.production.version ?? "unknown",
          package: before.production.package,
          at: swapBack.finishedAt ?? context.clock.now().toISOString(),
          by: "swap-back",
          via: "swap-back",
          verification: "skipped",
          verificationSummary: `restored after ${record.id} failed verification`,
          changeId: swapBack.id,
        },
        options,
      );
    }
  }
  outcome.decision = !back
    ? "swap-back-impossible"
    : swapBack?.status === "succeeded"
      ? "swapped-back"
      : "swap-back-failed";
  outcome.reason = why;
  const critical = outcome.decision !== "swapped-back";
  const history = [
    `${record.id} succeeded: ${record.summary}`,
    `verification ${verification.status}: ${verification.summary}`,
    swapBack
      ? `${swapBack.id} ${swapBack.status}: ${swapBack.summary}${swapBack.error ? ` (${swapBack.error})` : ""}`
      : `no swap-back: ${now?.source ? `${now.source.slot} runs ${now.source.version ?? "?"}, not ${before.production.version ?? "?"}` : "the slot could not be read"}`,
  ];
  const incident = await openMaintenanceIncident(ports, context, {
    key: `maintenance|${record.id}|verification`,
    title: critical
      ? `${site.siteName}: ${request.via} failed verification and could not be swapped back`
      : `${site.siteName}: ${request.via} failed verification and was swapped back`,
    description: why,
    environment: site.environmentName,
    target: site.siteId,
    priority: critical ? "critical" : "high",
    history,
  });
  outcome.incident = incident.id;
  if (critical)
    await proposeOrRollBack(
      ports,
      context,
      site,
      incident.id,
      "post-swap verification failed and no swap-back restored production",
    );
  return outcome;
}

/**
 * What the policy says to do when verification fails and a swap-back cannot help: the emergency
 * rollback to the last known good version, queued (automatic) or proposed in the incident.
 */
export async function proposeOrRollBack(
  ports: Pick<MaintenancePorts, "incidents" | "queue">,
  context: RunContext,
  site: SiteTarget,
  incidentId: string,
  why: string,
): Promise<"queued" | "proposed"> {
  const command = `phoenix-ops emergency-rollback --name ${site.siteName} --resource-group ${site.resourceGroup}`;
  if (context.policy.maintenance.rollback === "automatic") {
    await ports.queue.send(queueNames.rollbacks, {
      name: site.siteName,
      resourceGroup: site.resourceGroup,
      incident: incidentId,
      key: `auto-rollback-${incidentId}`,
      reason: why,
    });
    await ports.incidents.appendEvent(incidentId, {
      id: "rollback-queued",
      at: context.clock.now().toISOString(),
      type: "maintenance",
      by: "maintenance",
      detail: `${why}: the emergency rollback to the last known good version was started (policy maintenance.rollback: automatic)`,
    });
    return "queued";
  }
  await ports.incidents.appendEvent(incidentId, {
    id: "rollback-proposed",
    at: context.clock.now().toISOString(),
    type: "maintenance",
    by: "maintenance",
    detail: `${why}: roll back to the last known good version with: ${command} (policy maintenance.rollback: propose)`,
  });
  return "proposed";
}

export function checkSlots(slot: string, targetSlot: string): void {
  if (slot.toLowerCase() === targetSlot.toLowerCase()) {
    throw badRequest(`cannot swap slot ${slot} with itself`, "targetSlot");
  }
  if (slot.toLowerCase() !== productionSlot && targetSlot.toLowerCase() !== productionSlot) {
    throw badRequest("one side of the swap must be production (--target-slot production)", "targetSlot");
  }
}
