import type { AlertRecord } from "../incidents/model.ts";
import type { CallOptions } from "./call-options.ts";

/** Every alert delivery the app accepted, kept whole: the idempotency record of the alert pipeline. */
export interface AlertStore {
  /** "exists" when the same delivery was recorded before. */
  insertAlert(record: AlertRecord, options?: CallOptions): Promise<"inserted" | "exists">;
  getAlert(key: string, options?: CallOptions): Promise<AlertRecord | undefined>;
  markAlertProcessed(key: string, incidentId: string | null, options?: CallOptions): Promise<void>;
  /** A payload too large for a queue message, kept as a blob until it is processed. */
  savePayload(key: string, raw: string, options?: CallOptions): Promise<string>;
  readPayload(blob: string, options?: CallOptions): Promise<string | undefined>;
}
