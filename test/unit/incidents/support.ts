import { createHash } from "node:crypto";
import type { AlertSeverity, NormalizedAlert } from "../../../src/shared/alerts/model.ts";
import { loadPolicyFile, parsePolicy } from "../../../src/shared/config/load.ts";
import type { OpsPolicy } from "../../../src/shared/config/policy.ts";
import { silentLogger } from "../../../src/shared/log.ts";
import type { IncidentDeps } from "../../../src/shared/operations/incidents/common.ts";
import {
  type AlertBatch,
  BatchingAlertIntake,
} from "../../../src/shared/operations/incidents/alert-intake.ts";
import { receiveAlert } from "../../../src/shared/operations/incidents/intake.ts";
import {
  type NotificationMessage,
  deliverNotification,
} from "../../../src/shared/operations/incidents/notifications.ts";
import { processAlert } from "../../../src/shared/operations/incidents/processing.ts";
import type { AlertMessage } from "../../../src/shared/ports/alert-intake.ts";
import { queueNames } from "../../../src/shared/ports/work-queue.ts";
import { FakeEmail, FixedClock, MemoryIncidentStore, MemoryWorkQueue } from "../../fakes/incidents.ts";

const base = loadPolicyFile("config/ops-policy.json");
const prodEnv = base.environments.prod!;

export const PROD_SUBSCRIPTION = prodEnv.subscriptionId;
export const STAGING_SUBSCRIPTION = "0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e";

export const prodWeb = prodEnv.components.webapp!.resourceId;
export const prodApi = prodEnv.components.api!.resourceId;
export const prodDb = prodEnv.components.database!.resourceId;
export const stagingWeb = `/subscriptions/${STAGING_SUBSCRIPTION}/resourceGroups/rg-phoenix-staging/providers/Microsoft.Web/sites/phoenix-web-staging`;
/** In no environment of the policy. */
export const strayVm =
  "/subscriptions/99999999-8888-4777-8666-555555555555/resourceGroups/rg-elsewhere/providers/Microsoft.Compute/virtualMachines/vm-1";

export const recipients = {
  default: ["duty@phoenixvc.tech"],
  prod: prodEnv.recipients,
  staging: ["staging-team@phoenixvc.tech"],
  webRule: ["web-oncall@phoenixvc.tech"],
  primary: ["primary-oncall@phoenixvc.tech"],
  secondary: ["secondary-oncall@phoenixvc.tech"],
};

/** Window of the one-off staging maintenance (a Tuesday). */
export const stagingUpgrade = { start: "2026-12-01T01:00:00Z", end: "2026-12-01T03:00:00Z" };

/**
 * config/ops-policy.json plus what the incident tests need: a second environment, rules with their
 * own recipients and an escalation ladder, a one-off and a recurring maintenance window, small limits.
 * Validated by the real schema, so the additions are a policy an operator could write.
 */
export const policy: OpsPolicy = parsePolicy(
  {
    ...base,
    environments: {
      ...base.environments,
      staging: {
        subscriptionId: STAGING_SUBSCRIPTION,
        resourceGroup: "rg-phoenix-staging",
        region: "westeurope",
        components: {
          webapp: { kind: "webapp", resourceId: stagingWeb },
        },
        recipients: recipients.staging,
      },
    },
    alertRules: [
      ...base.alertRules,
      { name: "web-http5xx", action: { type: "email", recipients: recipients.webRule } },
      {
        name: "api-latency",
        action: { type: "email", recipients: recipients.primary },
        escalationPolicy: "api-ladder",
      },
    ],
    escalationPolicies: {
      "api-ladder": {
        levels: [
          { recipients: recipients.primary, minutesToAcknowledge: 5 },
          { recipients: recipients.secondary, minutesToAcknowledge: 15 },
        ],
        repeat: 1,
      },
    },
    maintenanceWindows: [
      { name: "staging-upgrade", environment: "staging", ...stagingUpgrade },
      { name: "prod-sunday-patching", environment: "prod", schedule: "0 0 2 * * Sun", durationMinutes: 120 },
    ],
    incidents: {
      defaultRecipients: recipients.default,
      maxEmailsPerMinute: 30,
      maxEmailsPerHour: 100,
      digestThreshold: 3,
      maxAlertsPerIncident: 500,
    },
  },
  "incident test policy",
);

/** The same policy with other incident limits. */
export function withLimits(limits: Partial<OpsPolicy["incidents"]>): OpsPolicy {
  return { ...policy, incidents: { ...policy.incidents, ...limits } };
}

/** A Thursday, outside every maintenance window. */
export const THURSDAY = "2026-11-26T06:00:00Z";

export type TestDeps = IncidentDeps & {
  /** The one in-memory store behind the incident, alert, outbox and diagnostics ports. */
  store: MemoryIncidentStore;
  queue: MemoryWorkQueue;
  email: FakeEmail;
  clock: FixedClock;
};

export function makeDeps(at: string = THURSDAY): TestDeps {
  const queue = new MemoryWorkQueue();
  const store = new MemoryIncidentStore();
  return {
    policy,
    store,
    incidents: store,
    alerts: store,
    outbox: store,
    diagnostics: store,
    queue,
    alertIntake: new BatchingAlertIntake(queue, { windowMs: 0 }),
    email: new FakeEmail(),
    clock: new FixedClock(new Date(at)),
    logger: silentLogger,
    apiBaseUrl: "https://phoenix-ops.example.net",
  };
}

export function advance(deps: TestDeps, seconds: number): void {
  deps.clock.time = new Date(deps.clock.time.getTime() + seconds * 1000);
}

export interface AlertSpec {
  /** Distinguishes alert instances: becomes the last segment of essentials.alertId. */
  instance: string;
  rule?: string;
  target?: string;
  severity?: AlertSeverity | null;
  condition?: "Fired" | "Resolved";
  description?: string;
}

/** A common-alert-schema metric alert, as an action group posts it. */
export function commonAlert(spec: AlertSpec): Record<string, unknown> {
  const guid = createHash("sha256").update(spec.instance).digest("hex");
  const alertGuid = `${guid.slice(0, 8)}-${guid.slice(8, 12)}-4${guid.slice(13, 16)}-8${guid.slice(17, 20)}-${guid.slice(20, 32)}`;
  return {
    schemaId: "azureMonitorCommonAlertSchema",
    data: {
      essentials: {
        alertId: `/subscriptions/${PROD_SUBSCRIPTION}/providers/Microsoft.AlertsManagement/alerts/${alertGuid}`,
        alertRule: spec.rule ?? "web-http5xx",
        ...(spec.severity === null ? {} : { severity: spec.severity ?? "Sev1" }),
        signalType: "Metric",
        monitorCondition: spec.condition ?? "Fired",
        monitoringService: "Platform",
        alertTargetIDs: [spec.target ?? prodWeb],
        firedDateTime: "2026-11-26T05:59:00Z",
        ...(spec.condition === "Resolved" ? { resolvedDateTime: "2026-11-26T06:10:00Z" } : {}),
        description: spec.description ?? "5xx responses above threshold",
        essentialsVersion: "1.0",
        alertContextVersion: "1.0",
      },
      alertContext: {
        conditionType: "SingleResourceMultipleMetricCriteria",
        condition: {
          windowSize: "PT5M",
          allOf: [
            {
              metricName: "Http5xx",
              metricNamespace: "Microsoft.Web/sites",
              operator: "GreaterThan",
              threshold: "10",
              timeAggregation: "Total",
              metricValue: 42,
            },
          ],
        },
      },
    },
  };
}

/** Plays the alerts queue trigger once for every message waiting now; answers the messages and outcomes. */
export async function processQueuedAlerts(
  deps: TestDeps,
): Promise<{ message: AlertMessage; incidentId: string | null; outcome: string }[]> {
  const results: { message: AlertMessage; incidentId: string | null; outcome: string }[] = [];
  for (const message of drainQueuedAlerts(deps)) {
    results.push({ message, ...(await processAlert(deps, message)) });
  }
  return results;
}

/** Takes every batch off the alerts queue and answers the deliveries in them, in order. */
export function drainQueuedAlerts(deps: TestDeps): AlertMessage[] {
  return deps.queue.drain<AlertBatch>(queueNames.alerts).flatMap(({ message }) => message.alerts);
}

/** Webhook intake and processing of one delivery, as the webhook and the alerts queue trigger do. */
export async function deliverAlert(
  deps: TestDeps,
  spec: AlertSpec,
): Promise<{ key: string; message: AlertMessage; incidentId: string | null; outcome: string }> {
  const payload = commonAlert(spec);
  const intake = await receiveAlert(deps, payload, JSON.stringify(payload));
  const results = await processQueuedAlerts(deps);
  if (results.length !== 1)
    throw new Error(`intake of ${spec.instance} queued ${results.length} messages, not 1`);
  return { key: intake.key, ...results[0]! };
}

/** Fires and insists on an incident id. */
export async function fire(deps: TestDeps, spec: AlertSpec): Promise<string> {
  const { incidentId } = await deliverAlert(deps, { condition: "Fired", ...spec });
  if (!incidentId) throw new Error(`alert ${spec.instance} opened no incident`);
  return incidentId;
}

export async function resolve(
  deps: TestDeps,
  spec: AlertSpec,
): Promise<{ incidentId: string | null; outcome: string }> {
  return deliverAlert(deps, { ...spec, condition: "Resolved" });
}

/** Plays the notifications queue trigger once for every message waiting now; answers the outcomes. */
export async function deliverQueuedNotifications(deps: TestDeps): Promise<string[]> {
  const outcomes: string[] = [];
  for (const { message } of deps.queue.drain<NotificationMessage>(queueNames.notifications)) {
    outcomes.push(await deliverNotification(deps, message));
  }
  return outcomes;
}

/** A NormalizedAlert written directly (bypassing the normalizer), for the email property test. */
export function normalized(overrides: Partial<NormalizedAlert>): NormalizedAlert {
  return {
    schema: "common",
    monitoringService: "Platform",
    alertId: "alert-1",
    rule: "web-http5xx",
    ruleId: null,
    severity: "Sev2",
    condition: "fired",
    targets: [prodWeb],
    signalType: "Metric",
    description: null,
    firedAt: "2026-11-26T05:59:00.000Z",
    resolvedAt: null,
    values: [],
    link: null,
    isTest: false,
    ...overrides,
  };
}
