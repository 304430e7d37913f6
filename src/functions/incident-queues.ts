import { type InvocationContext, app } from "@azure/functions";
import { z } from "zod";
import { getServices, queueNames } from "../shared/composition-root.ts";
import { describeError } from "../shared/errors.ts";
import { collectDiagnostics } from "../shared/operations/diagnostics.ts";
import { MAX_BATCH_ALERTS } from "../shared/operations/alert-intake.ts";
import { deliverNotification, processAlertBatch, runEscalationStep } from "../shared/operations/incidents.ts";

/**
 * Queue triggers of the incident pipeline. Messages are the app's own, but are parsed all the same:
 * a malformed one is logged and dropped (it can never succeed), anything else that fails is rethrown
 * so the host retries it and, after maxDequeueCount, parks it in the poison queue.
 */
function queueHandler<T>(name: string, schema: z.ZodType<T>, work: (message: T) => Promise<string | object>) {
  return async (raw: unknown, context: InvocationContext): Promise<void> => {
    const parsed = schema.safeParse(raw);
    if (!parsed.success) {
      context.error(`${name}: malformed message dropped`, {
        issues: parsed.error.issues.map((i) => i.message),
      });
      return;
    }
    try {
      const outcome = await work(parsed.data);
      context.log(`${name} done`, { outcome, dequeueCount: context.triggerMetadata?.dequeueCount });
    } catch (error) {
      context.error(`${name} failed`, {
        error: describeError(error),
        dequeueCount: context.triggerMetadata?.dequeueCount,
      });
      throw error;
    }
  };
}

const alertMessage = z.object({
  key: z.string().regex(/^[0-9a-f]{64}$/),
  raw: z.string().optional(),
  blob: z.string().optional(),
});

app.storageQueue("alerts-process", {
  queueName: queueNames.alerts,
  connection: "AzureWebJobsStorage",
  handler: queueHandler(
    "alert processing",
    z.union([
      z.object({ alerts: z.array(alertMessage).min(1).max(MAX_BATCH_ALERTS) }),
      // A message of one delivery, as earlier versions queued them: still taken after an upgrade.
      alertMessage.transform((m) => ({ alerts: [m] })),
    ]),
    (batch) => processAlertBatch(getServices().incidents, batch),
  ),
});

app.storageQueue("escalation-step", {
  queueName: queueNames.escalations,
  connection: "AzureWebJobsStorage",
  handler: queueHandler(
    "escalation step",
    z.object({
      incidentId: z.string().min(1),
      level: z.number().int().min(0),
      round: z.number().int().min(0),
    }),
    (m) => runEscalationStep(getServices().incidents, m),
  ),
});

app.storageQueue("notification-send", {
  queueName: queueNames.notifications,
  connection: "AzureWebJobsStorage",
  handler: queueHandler(
    "notification",
    z.object({ incidentId: z.string().min(1), notificationId: z.string().min(1) }),
    (m) => deliverNotification(getServices().incidents, m),
  ),
});

app.storageQueue("diagnostics-collect", {
  queueName: queueNames.diagnostics,
  connection: "AzureWebJobsStorage",
  handler: queueHandler("diagnostics", z.object({ incidentId: z.string().min(1) }), (m) =>
    collectDiagnostics(getServices().diagnostics, m.incidentId),
  ),
});
