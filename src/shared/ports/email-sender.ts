import type { CallOptions } from "./call-options.ts";

export interface EmailMessage {
  to: readonly string[];
  subject: string;
  html: string;
  text: string;
  /** Sending again with the same key never delivers twice. */
  idempotencyKey: string;
}

export interface EmailSender {
  send(message: EmailMessage, options?: CallOptions): Promise<{ messageId: string }>;
}
