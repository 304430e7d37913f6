import type { AlertIntake } from "./alert-intake.ts";
import type { AlertStore } from "./alert-store.ts";
import type { AppServicePlans } from "./app-service-plans.ts";
import type { AutoscaleSettings } from "./autoscale-settings.ts";
import type { BackupVaults } from "./backup-vaults.ts";
import type { ChangeJournal } from "./change-journal.ts";
import type { DiagnosticsStore } from "./diagnostics-store.ts";
import type { EmailSender } from "./email-sender.ts";
import type { HealthProbe } from "./health-probe.ts";
import type { IncidentStore } from "./incident-store.ts";
import type { LogsReader } from "./logs-reader.ts";
import type { MaintenanceWindowStore } from "./maintenance-windows.ts";
import type { MetricSeriesReader } from "./metric-series-reader.ts";
import type { MetricsReader } from "./metrics-reader.ts";
import type { NotificationOutbox } from "./notification-outbox.ts";
import type { ReleaseLedger } from "./release-ledger.ts";
import type { ResourceLeases } from "./resource-leases.ts";
import type { ResourceInventory } from "./resource-inventory.ts";
import type { RunHistory } from "./run-history.ts";
import type { ScheduledRunClaims } from "./scheduled-run-claims.ts";
import type { SiteConfigReader } from "./site-config-reader.ts";
import type { WebAppSlots } from "./web-app-slots.ts";
import type { WorkQueue } from "./work-queue.ts";

/**
 * Every port by the name a procedure declares it under. The composition folder builds one of each per
 * process, lazily; a procedure is handed only the ones it declares.
 */
export interface Ports {
  inventory: ResourceInventory;
  siteConfig: SiteConfigReader;
  metrics: MetricsReader;
  metricSeries: MetricSeriesReader;
  probe: HealthProbe;
  email: EmailSender;
  logs: LogsReader;
  runHistory: RunHistory;
  runClaims: ScheduledRunClaims;
  incidents: IncidentStore;
  alerts: AlertStore;
  outbox: NotificationOutbox;
  diagnostics: DiagnosticsStore;
  queue: WorkQueue;
  alertIntake: AlertIntake;
  changes: ChangeJournal;
  leases: ResourceLeases;
  plans: AppServicePlans;
  autoscale: AutoscaleSettings;
  slots: WebAppSlots;
  maintenance: MaintenanceWindowStore;
  releases: ReleaseLedger;
  backups: BackupVaults;
}

export type PortName = keyof Ports;
