import { OpsError } from "../errors.ts";
import { AcsEmailSender } from "../adapters/acs-email.ts";
import { ArmAppServicePlans } from "../adapters/arm-app-service-plans.ts";
import { ArmAutoscaleSettings } from "../adapters/arm-autoscale-settings.ts";
import { ArmInventory } from "../adapters/arm-inventory.ts";
import { ArmRecoveryServices } from "../adapters/arm-recovery-services.ts";
import { FetchHealthProbe } from "../adapters/http-probe.ts";
import { LogAnalyticsReader } from "../adapters/log-analytics.ts";
import { MonitorMetricSeriesReader } from "../adapters/monitor-metric-series.ts";
import { MonitorMetricsReader } from "../adapters/monitor-metrics.ts";
import { StorageWorkQueue } from "../adapters/storage-work-queue.ts";
import { TableChangeJournal } from "../adapters/table-change-journal.ts";
import { TableResourceLeases } from "../adapters/table-resource-leases.ts";
import { TableIncidentStore } from "../adapters/table-incident-store.ts";
import { TableRunClaims } from "../adapters/table-run-claims.ts";
import { TableRunHistory } from "../adapters/table-run-history.ts";
import { ArmSiteConfigReader } from "../adapters/arm-site-config.ts";
import { ArmWebApps } from "../adapters/arm-web-apps.ts";
import { TableMaintenanceWindows } from "../adapters/table-maintenance-windows.ts";
import { TableReleaseLedger } from "../adapters/table-release-ledger.ts";
import type { Settings } from "../config/settings.ts";
import { BatchingAlertIntake } from "../operations/incidents/alert-intake.ts";
import type { PortName, Ports } from "../ports/catalogue.ts";
import type { EmailSender } from "../ports/email-sender.ts";
import type { QueueName } from "../ports/work-queue.ts";
import { type AzureClients, once } from "./azure-clients.ts";
import type { StorageAccess } from "./storage.ts";

type Factories = { [P in PortName]: () => Ports[P] };

/**
 * One adapter per port, built on first use and once per process. This grows with ports, never with
 * procedures: a procedure only names the ports it needs.
 */
export function createPortFactories(
  settings: Settings,
  azure: AzureClients,
  storage: () => StorageAccess,
): Factories {
  const prefix = settings.PHOENIX_STATE_TABLE_PREFIX;
  const incidentTables = once(
    () =>
      new TableIncidentStore({
        alerts: storage().table(`${prefix}alerts`),
        keys: storage().table(`${prefix}incidentkeys`),
        incidents: storage().table(`${prefix}incidents`),
        events: storage().table(`${prefix}incidentevents`),
        notifications: storage().table(`${prefix}notifications`),
        limits: storage().table(`${prefix}limits`),
        diagnostics: storage().container(`${prefix.toLowerCase()}-diagnostics`),
      }),
  );
  const queue = once(() => new StorageWorkQueue((name: QueueName) => storage().queues.getQueueClient(name)));
  return {
    inventory: once(() => new ArmInventory({ webSites: azure.webSites, sql: azure.sql })),
    siteConfig: once(() => new ArmSiteConfigReader({ webSites: azure.webSites })),
    metrics: once(() => new MonitorMetricsReader(azure.metrics)),
    metricSeries: once(() => new MonitorMetricSeriesReader(azure.monitor)),
    probe: once(() => new FetchHealthProbe()),
    email: once(() => emailSender(settings, azure)),
    logs: once(() => new LogAnalyticsReader(azure.logs())),
    runHistory: once(
      () =>
        new TableRunHistory({
          runs: storage().table(`${prefix}runs`),
          documents: storage().container(`${prefix.toLowerCase()}-reports`),
        }),
    ),
    runClaims: once(() => new TableRunClaims(storage().table(`${prefix}claims`))),
    incidents: incidentTables,
    alerts: incidentTables,
    outbox: incidentTables,
    diagnostics: incidentTables,
    queue,
    changes: once(
      () =>
        new TableChangeJournal({
          changes: storage().table(`${prefix}changes`),
          keys: storage().table(`${prefix}changekeys`),
          events: storage().table(`${prefix}changeevents`),
        }),
    ),
    leases: once(() => new TableResourceLeases(storage().table(`${prefix}leases`))),
    plans: once(() => new ArmAppServicePlans(azure.webSites)),
    autoscale: once(() => new ArmAutoscaleSettings(azure.monitor)),
    slots: once(() => new ArmWebApps(azure.webSites)),
    maintenance: once(() => new TableMaintenanceWindows(storage().table(`${prefix}maintenance`))),
    releases: once(() => new TableReleaseLedger(storage().table(`${prefix}releases`))),
    backups: once(() => new ArmRecoveryServices(azure.backup)),
    alertIntake: once(
      () =>
        new BatchingAlertIntake(queue(), {
          windowMs: settings.PHOENIX_ALERTS_BATCH_WINDOW_MS,
          deadlineInMs: settings.PHOENIX_ALERTS_WRITE_DEADLINE_MS,
        }),
    ),
  };
}

function emailSender(settings: Settings, azure: AzureClients): EmailSender {
  const client = azure.email();
  const sender = settings.PHOENIX_EMAIL_SENDER;
  if (!client || !sender) {
    return {
      send: () =>
        Promise.reject(
          new OpsError(
            "EmailFailed",
            "email is not configured: set PHOENIX_EMAIL_ENDPOINT and PHOENIX_EMAIL_SENDER",
          ),
        ),
    };
  }
  return new AcsEmailSender(client, sender);
}

/** The ports a procedure declared, and no other: each a getter, so nothing is built until it is used. */
export function selectPorts<P extends PortName>(factories: Factories, names: readonly P[]): Pick<Ports, P> {
  const selected = {} as Pick<Ports, P>;
  for (const name of names) {
    Object.defineProperty(selected, name, { get: factories[name], enumerable: true });
  }
  return Object.freeze(selected);
}
