import { sha256 } from "../../hashing.ts";
import { normalizeAlert } from "../../alerts/normalize.ts";
import { type AlertMessage, MAX_BATCH_JSON_BYTES, alertMessageBytes } from "./alert-intake.ts";
import { type IncidentDeps } from "./common.ts";

/*
 * Intake: one durable write, then 202. Everything else happens from the queue.
 */

/**
 * A delivery travels inline while its message fits a queue message on its own (see MAX_BATCH_JSON_BYTES:
 * measured as the escaped JSON, in bytes); a larger payload is kept as a blob and the message names it.
 */
export const MAX_INLINE_MESSAGE_BYTES = MAX_BATCH_JSON_BYTES;

export interface IntakeResult {
  key: string;
  recognized: boolean;
  alertId: string | null;
}

export function alertKeyOf(payload: unknown): { key: string; result: ReturnType<typeof normalizeAlert> } {
  const result = normalizeAlert(payload);
  const key =
    result.kind === "alert"
      ? sha256(`alert|${result.alert.alertId}|${result.alert.condition}`)
      : sha256(`unrecognized|${result.fingerprint}`);
  return { key, result };
}

export type { AlertBatch, AlertMessage } from "./alert-intake.ts";

/**
 * Records one delivery of the action group webhook: the payload goes on the alerts queue (a durable
 * write: once it is there, the alert cannot be lost), batched with the deliveries arriving at the same
 * moment. Duplicates are sorted out by the processor, on the key of alert id and condition, so a
 * retried delivery costs the webhook no extra read.
 */
export async function receiveAlert(deps: IncidentDeps, payload: unknown, raw: string): Promise<IntakeResult> {
  const { key, result } = alertKeyOf(payload);
  const inline: AlertMessage = { key, raw };
  const inlineBytes = alertMessageBytes(inline);
  if (inlineBytes <= MAX_INLINE_MESSAGE_BYTES) await deps.alertIntake.record(inline, inlineBytes);
  else await deps.alertIntake.record({ key, blob: await deps.alerts.savePayload(key, raw) });
  return {
    key,
    recognized: result.kind === "alert",
    alertId: result.kind === "alert" ? result.alert.alertId : null,
  };
}
