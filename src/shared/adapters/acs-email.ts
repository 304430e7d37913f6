import { sha256 } from "../hashing.ts";
import type { EmailClient } from "@azure/communication-email";
import { OpsError, fromAzureError } from "../errors.ts";
import type { CallOptions } from "../ports/call-options.ts";
import type { EmailMessage, EmailSender } from "../ports/email-sender.ts";

/**
 * Email through Azure Communication Services. The idempotency key becomes the send operation's id
 * (the Operation-Id header): ACS treats a repeated id as the same send, so a retry never mails twice.
 */
export class AcsEmailSender implements EmailSender {
  constructor(
    private readonly client: EmailClient,
    private readonly senderAddress: string,
  ) {}

  async send(message: EmailMessage, options: CallOptions = {}): Promise<{ messageId: string }> {
    const operationId = uuidFromKey(message.idempotencyKey);
    try {
      const poller = await this.client.beginSend(
        {
          senderAddress: this.senderAddress,
          recipients: { to: message.to.map((address) => ({ address })) },
          content: { subject: message.subject, plainText: message.text, html: message.html },
        },
        { operationId, abortSignal: options.abortSignal, updateIntervalInMs: 250 },
      );
      const result = await poller.pollUntilDone({ abortSignal: options.abortSignal });
      if (result.status !== "Succeeded") {
        throw new OpsError(
          "EmailFailed",
          `the email service did not deliver (${result.status}: ${result.error?.message ?? "no reason given"})`,
          {
            details: { operationId, status: result.status },
          },
        );
      }
      return { messageId: result.id };
    } catch (error) {
      if (error instanceof OpsError) throw error;
      const azureError = fromAzureError(error, "the email service");
      throw new OpsError("EmailFailed", azureError.message, {
        cause: error,
        retryable: azureError.retryable,
        details: { operationId },
      });
    }
  }
}

/** A stable UUID (version 8 layout) from any key, because ACS wants Operation-Id to be a UUID. */
function uuidFromKey(key: string): string {
  const hex = sha256(key).slice(0, 32).split("");
  hex[12] = "8";
  hex[16] = ((parseInt(hex[16] ?? "0", 16) & 0x3) | 0x8).toString(16);
  const h = hex.join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}
