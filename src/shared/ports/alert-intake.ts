import type { CallOptions } from "./call-options.ts";

/** One delivery of the webhook, as it travels to the processor: the payload inline or as a blob name. */
export interface AlertMessage {
  key: string;
  raw?: string;
  blob?: string;
}

/** Records alert deliveries durably; resolves once the delivery cannot be lost. */
export interface AlertIntake {
  /** `bytes`: the message's size as JSON in bytes, when the caller has measured it already. */
  record(message: AlertMessage, bytes?: number, options?: CallOptions): Promise<void>;
}
