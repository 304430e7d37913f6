import type { BackupScenario } from "./model/backups.ts";
import { demo, demoIds } from "./model/demo.ts";
import { planComputeUnits } from "./model/plan-skus.ts";
import type { ResourceRecord, SignalProfile } from "./model/state.ts";
import type {
  ComponentLevels,
  DatabaseLevels,
  HealthBehaviour,
  PlanLevels,
  SiteLevels,
} from "./signals/levels.ts";
import { baselineHealth, baselineLevels } from "./signals/levels.ts";

/**
 * Named states of the demo estate. A scenario is data: overrides of the healthy baseline for the
 * components it targets, plus switches for whole surfaces. Adding one is adding an entry here; later
 * surfaces (backups, secrets) add their own fields to ScenarioDefinition.
 */

export interface ScenarioDefinition {
  description: string;
  /** Level overrides for scenario-targeted components (the demo estate), by component kind. */
  levels?: {
    webapp?: Partial<SiteLevels>;
    api?: Partial<SiteLevels>;
    database?: Partial<DatabaseLevels>;
    plan?: Partial<PlanLevels>;
  };
  /** Health-probe overrides for scenario-targeted sites. */
  health?: { webapp?: Partial<HealthBehaviour>; api?: Partial<HealthBehaviour> };
  /** Azure Monitor returns every metric with no datapoints (an ingestion outage), for every resource. */
  metricsMissing?: boolean;
  /** Resources that do not exist while the scenario is active. */
  missingResources?: readonly string[];
  /** How the demo vault's SQL database (phoenixledger) is backed up. */
  backups?: BackupScenario;
  /** A release that misbehaves in production (a bad deploy): its levels and health wherever it runs live. */
  badRelease?: { version: string; levels: Partial<SiteLevels>; health: Partial<HealthBehaviour> };
}

const definitions = {
  healthy: {
    description:
      "Everything within thresholds: fast responses, ~0.1% errors, database well below its limits.",
  },
  "webapp-errors": {
    description: "The web app answers ~15% of requests with 5xx and its health endpoint returns 503.",
    levels: { webapp: { errorRate: 0.15 } },
    health: { webapp: { status: 503 } },
  },
  "api-slow": {
    description: "The API's response time is ~4.5 s and its health endpoint takes ~1.5 s to answer.",
    levels: { api: { responseTimeSeconds: 4.5, cpuSecondsPerMinute: 42 } },
    health: { api: { delayMs: 1500 } },
  },
  "db-pool-exhausted": {
    description:
      "The database's sessions (~98%) and workers (~96%) are exhausted and ~40 connections fail per 5 min.",
    levels: {
      database: { sessionsPercent: 98, workersPercent: 96, connectionFailedPer5Min: 40, cpuPercent: 55 },
    },
  },
  "metrics-missing": {
    description: "Azure Monitor returns no datapoints for any metric; health endpoints are fine.",
    metricsMissing: true,
  },
  "cpu-spike": {
    description:
      "The App Service plan's CPU is ~92% at its seeded size (P1v3 × 1), above the high-cpu-usage threshold of 80; scaled up (a bigger SKU or more instances) it falls to ~46% (P2v2 or two instances).",
    levels: { plan: { cpuPercent: 92 } },
  },
  "bad-staging": {
    description:
      "The demo web app's staging slot runs 2.4.0, which is healthy in staging but answers ~20% 5xx and a 503 health endpoint once swapped into production; a verified swap swaps it back by itself.",
    badRelease: { version: demo.stagedVersion, levels: { errorRate: 0.2 }, health: { status: 503 } },
  },
  "swap-conflict": {
    description:
      "Another operation holds each web app for its first slot swap: the Web provider answers 409 once, then the swap runs.",
  },
  "resource-missing": {
    description: "The demo database does not exist (Resource Manager answers 404); the rest is healthy.",
    missingResources: [demoIds.database],
  },
  "backup-healthy": {
    description:
      "Backups as the guide's schedule says: Full weekly, Differential daily, logs hourly (the restore point is 20 min old); retention as promised.",
    backups: {},
  },
  "missed-full": {
    description:
      "The demo vault's SQL database has had no successful Full backup for 9 days (each Full since failed).",
    backups: { missedFullDays: 9 },
  },
  "failed-differential": {
    description:
      "The SQL database's two newest Differential backups failed: the newest good one is two days old.",
    backups: { failedDifferentials: 2 },
  },
  "log-gap": {
    description: "The SQL database's newest restore point (its last log backup) is 3 hours old.",
    backups: { logGapHours: 3 },
  },
  "retention-short": {
    description: "The SQL database's backup policy keeps Full backups 4 weeks (the schedule says 12).",
    backups: { fullRetentionWeeks: 4 },
  },
} as const satisfies Record<string, ScenarioDefinition>;

export type ScenarioName = keyof typeof definitions;

export const scenarioDefinitions: Record<ScenarioName, ScenarioDefinition> = definitions;

export const scenarioNames = Object.keys(definitions) as ScenarioName[];

/** The scenarios and what each does, for the admin API and the CLI. */
export const scenarios: Record<ScenarioName, { description: string }> = Object.fromEntries(
  scenarioNames.map((name) => [name, { description: definitions[name].description }]),
) as Record<ScenarioName, { description: string }>;

export function isScenarioName(name: unknown): name is ScenarioName {
  return typeof name === "string" && Object.hasOwn(definitions, name);
}

function overrides(scenario: ScenarioName, profile: SignalProfile): ScenarioDefinition["levels"] {
  return profile.scenarioTarget ? scenarioDefinitions[scenario].levels : undefined;
}

/** The levels a component runs at under a scenario. */
export function levelsFor(scenario: ScenarioName, profile: SignalProfile): ComponentLevels {
  const levels = overrides(scenario, profile);
  switch (profile.kind) {
    case "webapp":
      return { family: "site", ...baselineLevels.webapp, ...levels?.webapp };
    case "api":
      return { family: "site", ...baselineLevels.api, ...levels?.api };
    case "database":
      return { family: "database", ...baselineLevels.database, ...levels?.database };
    case "plan":
      return { family: "plan", ...baselineLevels.plan, ...levels?.plan };
  }
}

/**
 * The levels a resource runs at now: its scenario's levels, with a plan's CPU spread over the compute
 * it has. Levels are stated for the seeded P1v3 × 1; a plan scaled to twice the compute (P2v2, P2v3,
 * or two instances) runs at half the CPU percentage, so a scale-up shows in its metrics.
 */
export function levelsOf(scenario: ScenarioName, record: ResourceRecord): ComponentLevels | undefined {
  if (!record.signals) return undefined;
  const bad = badReleaseOf(scenario, record);
  const levels =
    bad && record.signals.kind === "webapp"
      ? { ...levelsFor(scenario, record.signals), ...bad.levels }
      : levelsFor(scenario, record.signals);
  if (levels.family !== "plan") return levels;
  return { ...levels, cpuPercent: levels.cpuPercent / planComputeUnits(record.resource.sku) };
}

/** How a site answers its health probe under a scenario. */
export function healthFor(scenario: ScenarioName, record: ResourceRecord): HealthBehaviour {
  const profile = record.signals;
  const bad = badReleaseOf(scenario, record);
  if (bad && !profile?.scenarioTarget) return { ...baselineHealth, ...bad.health };
  if (!profile?.scenarioTarget || (profile.kind !== "webapp" && profile.kind !== "api"))
    return baselineHealth;
  return {
    ...baselineHealth,
    ...scenarioDefinitions[scenario].health?.[profile.kind],
    ...badReleaseOf(scenario, record)?.health,
  };
}

/** The scenario's bad release, when this site (production: slots have no signals) runs it. */
function badReleaseOf(scenario: ScenarioName, record: ResourceRecord): ScenarioDefinition["badRelease"] {
  const bad = scenarioDefinitions[scenario].badRelease;
  // A bad release is bad wherever it runs live, bench sites included.
  return bad && record.signals && record.appSettings?.["APP_VERSION"] === bad.version ? bad : undefined;
}

export function metricsMissing(scenario: ScenarioName): boolean {
  return scenarioDefinitions[scenario].metricsMissing === true;
}

export function missingResources(scenario: ScenarioName): readonly string[] {
  return scenarioDefinitions[scenario].missingResources ?? [];
}

/** How the demo vault's SQL database is backed up under a scenario; healthy for the others. */
export function backupScenario(scenario: ScenarioName): BackupScenario {
  const definition: ScenarioDefinition = scenarioDefinitions[scenario];
  return definition.backups ?? {};
}
