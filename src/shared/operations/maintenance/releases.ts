import { OpsError } from "../../errors.ts";
import type { ReleaseEntry } from "../../ports/release-ledger.ts";
import { productionSlot } from "../../ports/web-app-slots.ts";
import type { RunContext } from "../../procedures/declaration.ts";
import { type MaintenancePorts, badRequest, siteTarget, versionOf } from "./common.ts";
import { type SwapOutcome, swapWithVerification } from "./swap.ts";

/**
 * "Last known good": the newest version that went live on the site, passed verification, and stayed
 * live for the policy's period (until the next version went live, or until now). The version live now
 * is not a candidate: rolling back to it would change nothing.
 */
export function lastKnownGood(
  entries: readonly ReleaseEntry[],
  liveVersion: string | null,
  minutes: number,
  now: Date,
): ReleaseEntry | undefined {
  const live = entries.filter((e) => e.kind === "live").sort((a, b) => b.at.localeCompare(a.at));
  for (let i = 0; i < live.length; i++) {
    const entry = live[i];
    if (!entry || entry.verification !== "passed" || entry.version === liveVersion) continue;
    const until = i > 0 ? Date.parse(live[i - 1]?.at ?? "") : now.getTime();
    if (until - Date.parse(entry.at) >= minutes * 60_000) return entry;
  }
  return undefined;
}

export interface ReleasesView {
  site: string | null;
  /** The version production runs now. */
  live: string | null;
  lastKnownGood: { version: string; at: string; package: string | null } | null;
  releases: ReleaseEntry[];
}

export async function listReleases(
  ports: Pick<MaintenancePorts, "releases" | "slots">,
  context: RunContext,
  input: { name?: string | undefined; resourceGroup?: string | undefined; limit: number },
): Promise<ReleasesView> {
  const options = { abortSignal: context.abortSignal };
  if (input.name === undefined) {
    return {
      site: null,
      live: null,
      lastKnownGood: null,
      releases: await ports.releases.list({ ...options, limit: input.limit }),
    };
  }
  if (!input.resourceGroup)
    throw badRequest("give the site's resource group (--resource-group)", "resourceGroup");
  const site = siteTarget(context.policy, input.name, input.resourceGroup);
  const entries = await ports.releases.list({ ...options, siteId: site.siteId, limit: 500 });
  const production = await ports.slots.getSlot(
    site.subscriptionId,
    site.resourceGroup,
    site.siteName,
    productionSlot,
    options,
  );
  if (!production)
    throw new OpsError("NotFound", `no web app "${site.siteName}" in resource group ${site.resourceGroup}`, {
      details: { field: "name" },
    });
  const live = versionOf(production);
  const good = lastKnownGood(
    entries,
    live,
    context.policy.maintenance.lastKnownGoodMinutes,
    context.clock.now(),
  );
  return {
    site: site.siteName,
    live,
    lastKnownGood: good ? { version: good.version, at: good.at, package: good.package } : null,
    releases: entries.slice(0, input.limit),
  };
}

/** What a deployment pipeline reports after it deploys a version (to staging, or live). */
export async function recordRelease(
  ports: Pick<MaintenancePorts, "releases" | "slots">,
  context: RunContext,
  input: {
    name: string;
    resourceGroup: string;
    version: string;
    package: string;
    slot: string;
    verification?: "passed" | "failed" | undefined;
  },
): Promise<ReleaseEntry> {
  const options = { abortSignal: context.abortSignal };
  const site = siteTarget(context.policy, input.name, input.resourceGroup);
  const slot = await ports.slots.getSlot(
    site.subscriptionId,
    site.resourceGroup,
    site.siteName,
    input.slot,
    options,
  );
  if (!slot) {
    const slots = await ports.slots.listSlots(
      site.subscriptionId,
      site.resourceGroup,
      site.siteName,
      options,
    );
    if (!slots)
      throw new OpsError(
        "NotFound",
        `no web app "${site.siteName}" in resource group ${site.resourceGroup}`,
        { details: { field: "name" } },
      );
    throw new OpsError(
      "NotFound",
      `${site.siteName} has no slot "${input.slot}"; it has: ${[productionSlot, ...slots].join(", ")}`,
      { details: { field: "slot" } },
    );
  }
  const live = input.slot.toLowerCase() === productionSlot;
  const entry: ReleaseEntry = {
    id: `rel-${site.siteName.toLowerCase()}-${input.slot.toLowerCase()}-${input.version}`
      .replace(/[^\w.-]/g, "_")
      .slice(0, 200),
    siteId: site.siteId.toLowerCase(),
    siteName: site.siteName,
    environment: site.environmentName,
    version: input.version,
    package: input.package,
    kind: live ? "live" : "staged",
    slot: input.slot,
    at: context.clock.now().toISOString(),
    by: context.actor,
    via: live ? "deploy" : "registered",
    verification: input.verification ?? (live ? "pending" : "skipped"),
    verificationSummary: input.verification ? "as the pipeline reported" : null,
    changeId: null,
  };
  await ports.releases.record(entry, options);
  return (await ports.releases.get(entry.id, options)) ?? entry;
}

export interface RollbackOutcome extends SwapOutcome {
  version: string;
  package: string;
  lastKnownGood: boolean;
  direct: boolean;
}

/**
 * The guide's emergency-rollback.sh: the version (the last known good by default) is looked up in
 * the ledger with its package; staging is pointed at it, warmed up (unless skipped), swapped in and
 * verified; without a staging slot production is repointed directly. A version that never passed
 * verification needs --force and a reason; one whose package is gone is refused.
 */
export async function emergencyRollback(
  ports: MaintenancePorts,
  context: RunContext,
  input: {
    name: string;
    resourceGroup: string;
    version?: string | undefined;
    skipValidation: boolean;
    incident?: string | undefined;
  },
): Promise<RollbackOutcome> {
  const options = { abortSignal: context.abortSignal };
  const site = siteTarget(context.policy, input.name, input.resourceGroup);
  const slots = await ports.slots.listSlots(site.subscriptionId, site.resourceGroup, site.siteName, options);
  if (!slots)
    throw new OpsError("NotFound", `no web app "${site.siteName}" in resource group ${site.resourceGroup}`, {
      details: { field: "name" },
    });
  const entries = await ports.releases.list({ ...options, siteId: site.siteId, limit: 500 });
  // What production runs now, as Resource Manager says: a version may have gone live past the app.
  const production = await ports.slots.getSlot(
    site.subscriptionId,
    site.resourceGroup,
    site.siteName,
    productionSlot,
    options,
  );
  const liveVersion = production ? versionOf(production) : null;
  const good = lastKnownGood(
    entries,
    liveVersion,
    context.policy.maintenance.lastKnownGoodMinutes,
    context.clock.now(),
  );
  let wanted: ReleaseEntry | undefined;
  if (input.version === undefined) {
    if (!good) {
      throw new OpsError(
        "NotFound",
        `no last known good version of ${site.siteName} yet: none passed verification and stayed live ${context.policy.maintenance.lastKnownGoodMinutes} min; name one with --version`,
        { details: { field: "version" } },
      );
    }
    wanted = good;
  } else {
    const ofVersion = entries.filter((e) => e.version === input.version);
    if (ofVersion.length === 0) {
      const known = [...new Set(entries.map((e) => e.version))];
      throw new OpsError(
        "NotFound",
        `version ${input.version} of ${site.siteName} is not in the release ledger; known: ${known.join(", ") || "none"}`,
        { details: { field: "version" } },
      );
    }
    wanted = ofVersion.find((e) => e.package) ?? ofVersion[0];
  }
  if (!wanted) throw new OpsError("Internal", "no release chosen");
  const pkg = wanted.package ?? entries.find((e) => e.version === wanted.version && e.package)?.package;
  if (!pkg)
    throw badRequest(
      `no package is recorded for version ${wanted.version}: the ledger cannot roll back to it`,
      "version",
    );
  const passed = entries.some((e) => e.version === wanted.version && e.verification === "passed");
  const change = context.change;
  if (!passed && !(change?.options.force && change.options.reason)) {
    throw new OpsError(
      "Conflict",
      `version ${wanted.version} never passed verification: rolling back to it needs --force and a --reason`,
      { details: { field: "force" } },
    );
  }
  if (/^https?:\/\//i.test(pkg)) {
    const probe = await ports.probe.probe(pkg, {
      timeoutInMs: context.policy.healthCheck.probeTimeoutMs,
      abortSignal: context.abortSignal,
    });
    if (probe.statusCode === 404 || probe.statusCode === 410) {
      throw badRequest(
        `the package of version ${wanted.version} no longer exists (${pkg} answered ${probe.statusCode})`,
        "version",
      );
    }
  }
  const direct = !slots.some((s) => s.toLowerCase() === "staging");
  const slot = direct ? productionSlot : "staging";
  const version = wanted.version;
  const outcome = await swapWithVerification(ports, context, site, {
    via: "rollback",
    slot,
    targetSlot: productionSlot,
    stage: { version, package: pkg },
    direct,
    skipValidation: input.skipValidation,
    naturalKey: `rollback|${site.siteId.toLowerCase()}|${version}|${Math.floor(context.clock.now().getTime() / 600_000)}`,
    action: `emergency rollback to ${version}`,
    defaultReason: `emergency rollback of ${site.siteName} to ${version}${input.version === undefined ? " (last known good)" : ""}${input.incident ? ` for ${input.incident}` : ""}`,
    ...(input.incident
      ? {
          requestedBy: {
            kind: context.trigger === "queue" ? "system" : "operator",
            name: context.actor,
            incidentId: input.incident,
          } as const,
        }
      : {}),
    remedy: "emergency rollback",
    asked: { site: site.siteId.toLowerCase(), version, package: pkg, skipValidation: input.skipValidation },
  });
  if (input.incident) {
    await ports.incidents
      .appendEvent(input.incident, {
        id: `change-${outcome.change.id}`,
        at: context.clock.now().toISOString(),
        type: "change",
        by: outcome.change.requestedBy.name,
        detail: `${outcome.change.id} ${outcome.change.status}${outcome.change.dryRun ? " (dry run)" : ""}: ${outcome.change.summary}`,
      })
      .catch(() => undefined);
  }
  return { ...outcome, version, package: pkg, lastKnownGood: input.version === undefined, direct };
}
