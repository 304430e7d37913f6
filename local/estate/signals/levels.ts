/**
 * The levels a component runs at: what its metrics, request logs and health probe are generated
 * from. Baselines describe the healthy estate; scenarios override some of them.
 */

export interface SiteLevels {
  requestsPerMinute: number;
  /** Share of requests answered with a 5xx, 0..1. */
  errorRate: number;
  responseTimeSeconds: number;
  cpuSecondsPerMinute: number;
  memoryWorkingSetBytes: number;
}

export interface DatabaseLevels {
  sessionsPercent: number;
  workersPercent: number;
  cpuPercent: number;
  connectionFailedPer5Min: number;
  deadlocksPer5Min: number;
}

export interface PlanLevels {
  cpuPercent: number;
  memoryPercent: number;
}

export type ComponentLevels =
  | ({ family: "site" } & SiteLevels)
  | ({ family: "database" } & DatabaseLevels)
  | ({ family: "plan" } & PlanLevels);

export const baselineLevels = {
  webapp: {
    requestsPerMinute: 600,
    errorRate: 0.001,
    responseTimeSeconds: 0.25,
    cpuSecondsPerMinute: 9,
    memoryWorkingSetBytes: 412_000_000,
  },
  api: {
    requestsPerMinute: 1200,
    errorRate: 0.0005,
    responseTimeSeconds: 0.12,
    cpuSecondsPerMinute: 14,
    memoryWorkingSetBytes: 356_000_000,
  },
  database: {
    sessionsPercent: 35,
    workersPercent: 20,
    cpuPercent: 30,
    connectionFailedPer5Min: 0,
    deadlocksPer5Min: 0,
  },
  plan: { cpuPercent: 38, memoryPercent: 52 },
} as const satisfies {
  webapp: SiteLevels;
  api: SiteLevels;
  database: DatabaseLevels;
  plan: PlanLevels;
};

export interface HealthBehaviour {
  status: number;
  /** How long the site takes to answer its health probe. */
  delayMs: number;
}

export const baselineHealth: HealthBehaviour = { status: 200, delayMs: 0 };
