import { alertsValidate } from "../operations/alert-rules/declaration.ts";
import {
  backupJobList,
  backupProtectionBackupNow,
  backupVerificationsList,
  backupVerify,
} from "../operations/backups/declaration.ts";
import { changesList, changesShow } from "../operations/changes/declaration.ts";
import { healthCheck, healthCheckList, healthCheckShow } from "../operations/health-check/declaration.ts";
import {
  alertsProcess,
  alertsWebhook,
  diagnosticsCollect,
  escalationStep,
  incidentResponse,
  incidentsAcknowledge,
  incidentsDiagnostics,
  incidentsList,
  incidentsResolve,
  incidentsShow,
  notificationSend,
} from "../operations/incidents/declaration.ts";
import { logsQuery } from "../operations/logs/declaration.ts";
import {
  emergencyRollbackProcedure,
  maintenanceEnd,
  maintenanceStart,
  maintenanceStatus,
  maintenanceSwap,
  maintenanceWindowEnd,
  releasesList,
  releasesRecord,
  webappSlotSwap,
} from "../operations/maintenance/declaration.ts";
import { metricsList } from "../operations/metrics/declaration.ts";
import { scale, scalingAlert, scalingBack } from "../operations/scaling/declaration.ts";
import { logsDownload } from "../operations/site-diagnostics/declaration.ts";
import type { AnyProcedure } from "./declaration.ts";

/**
 * Every procedure of the app. The Functions triggers, the HTTP API and the CLI are built from this
 * list; adding a procedure is its folder plus a line here.
 */
export const procedures: readonly AnyProcedure[] = [
  healthCheck,
  healthCheckList,
  healthCheckShow,
  incidentResponse,
  incidentsList,
  incidentsShow,
  incidentsDiagnostics,
  incidentsAcknowledge,
  incidentsResolve,
  alertsWebhook,
  alertsProcess,
  escalationStep,
  notificationSend,
  diagnosticsCollect,
  metricsList,
  logsQuery,
  logsDownload,
  alertsValidate,
  changesList,
  changesShow,
  scale,
  scalingAlert,
  scalingBack,
  maintenanceStart,
  maintenanceStatus,
  maintenanceEnd,
  maintenanceWindowEnd,
  maintenanceSwap,
  webappSlotSwap,
  emergencyRollbackProcedure,
  releasesList,
  releasesRecord,
  backupVerify,
  backupVerificationsList,
  backupJobList,
  backupProtectionBackupNow,
];

/** The function-name stem of a procedure: its name in kebab case ("incidents list" → "incidents-list"). */
export function functionName(procedure: AnyProcedure): string {
  return procedure.name.replace(/\s+/g, "-");
}
