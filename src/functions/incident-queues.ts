import { type InvocationContext, app } from "@azure/functions";
import { z } from "zod";
import { getServices, queueNames } from "../shared/composition-root.ts";
import { OpsError, describeError } from "../shared/errors.ts";
import { collectDiagnostics } from "../shared/operations/diagnostics.ts";
import { deliverNotification, processAlertBatch, runEscalationStep } from "../shared/operations/incidents.ts";

/**
 * Queue triggers of the incident pipeline. Messages are the app's own, but are parsed all the same.
 * Whatever fails, a malformed message included, is rethrown: the host retries it and, after
 * maxDequeueCount, keeps it in the poison queue, where an operator (or a newer version that reads it)
 * can replay it. Nothing is dropped.
 */
function queueHandler<T>(name: string, schema: z.ZodType<T>, work: (message: T) => Promise<string | object>) {
  return async (raw: unknown, context: InvocationContext): Promise<void> => {
    const parsed = schema.safeParse(raw);
    if (!parsed.success) {
      const issues = parsed.error.issues.map((i) => `${i.path.join(".") || "(message)"}: ${i.message}`);
      context.error(`${name}: malformed message kept for the poison queue`, {
        issues,
        dequeueCount: context.triggerMetadata?.dequeueCount,
      });
      throw new OpsError("BadRequest", `${name}: malformed message (${issues.join("; ")})`);
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

app.storageQueue("alerts-process", {
  queueName: queueNames.alerts,
  connection: "AzureWebJobsStorage",
  // Each delivery in the message is checked by the operation, so that one bad entry spoils no other.
  handler: queueHandler("alert processing", z.unknown(), (body) =>
    processAlertBatch(getServices().incidents, body),
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
