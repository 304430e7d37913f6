import { randomUUID } from "node:crypto";
import { mkdir, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import type { EstateContext } from "../context.ts";
import { renderEml } from "../email/eml.ts";
import { azureError, json } from "../server/replies.ts";
import type { Reply, Route } from "../server/router.ts";

/**
 * Azure Communication Services Email, as @azure/communication-email's EmailClient.beginSend calls it:
 * `POST /emails:send` answers 202 with Operation-Location, then `GET /emails/operations/{id}` reports
 * the outcome. An accepted message is written to the outbox as an .eml file. Sending again with the
 * same Operation-Id header returns the first operation and writes nothing, which is how ACS makes
 * sends idempotent.
 *
 * The operation is already Succeeded when first polled (the file is written before the 202), so the
 * SDK's first poll — made at once by beginSend — ends it; retry-after is "1" like the service's
 * examples but is never waited on.
 */

const address = z.object({ address: z.email(), displayName: z.string().optional() });

const emailMessage = z.object({
  senderAddress: z.email(),
  recipients: z.object({
    to: z.array(address).min(1),
    cc: z.array(address).optional(),
    bcc: z.array(address).optional(),
  }),
  content: z
    .object({ subject: z.string().min(1), plainText: z.string().optional(), html: z.string().optional() })
    .refine((c) => c.plainText !== undefined || c.html !== undefined, {
      message: "either plainText or html is required",
    }),
  attachments: z
    .array(z.object({ name: z.string().min(1), contentType: z.string().min(1), contentInBase64: z.base64() }))
    .optional(),
  replyTo: z.array(address).optional(),
  headers: z.record(z.string(), z.string()).optional(),
  userEngagementTrackingDisabled: z.boolean().optional(),
});

interface EmailOperation {
  id: string;
  status: "Succeeded";
  file: string;
}

function fileStamp(date: Date): string {
  // ISO 8601 basic format: sortable, and valid in file names on every OS (no colons).
  return date.toISOString().replace(/[-:]/g, "");
}

export function emailRoutes(ctx: EstateContext): Route[] {
  /** Operations by id; a pending write is shared so concurrent duplicates produce one file. */
  const operations = new Map<string, Promise<EmailOperation>>();

  function accepted(operation: { id: string }, apiVersion: string): Reply {
    return json({ id: operation.id, status: "Running" }, 202, {
      "Operation-Location": `${ctx.url}/emails/operations/${operation.id}?api-version=${encodeURIComponent(apiVersion)}`,
      "retry-after": "1",
    });
  }

  async function deliver(id: string, message: z.infer<typeof emailMessage>): Promise<EmailOperation> {
    const date = new Date();
    const eml = renderEml({
      messageId: `${id}@local-estate.phoenix-ops`,
      date,
      from: { address: message.senderAddress },
      to: message.recipients.to,
      cc: message.recipients.cc ?? [],
      bcc: message.recipients.bcc ?? [],
      replyTo: message.replyTo ?? [],
      subject: message.content.subject,
      plainText: message.content.plainText,
      html: message.content.html,
      attachments: message.attachments ?? [],
      headers: { ...message.headers, "X-Local-Estate-Operation-Id": id },
    });
    await mkdir(ctx.outboxDir, { recursive: true });
    const file = join(ctx.outboxDir, `${fileStamp(date)}-${id}.eml`);
    // Written under a temporary name and renamed, so a watcher never opens half a message.
    await writeFile(`${file}.partial`, eml, "utf8");
    await rename(`${file}.partial`, file);
    ctx.log(`email ${id} to ${message.recipients.to.map((r) => r.address).join(", ")} written to ${file}`);
    return { id, status: "Succeeded", file };
  }

  return [
    {
      method: "POST",
      path: "/emails:send",
      access: "token",
      name: "email-send",
      handle: async (request) => {
        const apiVersion = request.query.get("api-version");
        if (!apiVersion)
          return azureError(
            400,
            "MissingApiVersionParameter",
            "The api-version query parameter is required.",
          );
        const parsed = emailMessage.safeParse(await request.json());
        if (!parsed.success) {
          const issue = parsed.error.issues[0];
          const field = issue?.path.join(".") || "body";
          return azureError(
            400,
            "BadRequest",
            `Invalid email message: ${field}: ${issue?.message ?? "invalid"}`,
          );
        }
        const header = request.headers["operation-id"];
        const id = typeof header === "string" && header.trim() !== "" ? header.trim() : randomUUID();
        let operation = operations.get(id);
        if (!operation) {
          operation = deliver(id, parsed.data);
          operations.set(id, operation);
          // A failed write leaves no operation behind, so the client can send again.
          void operation.catch(() => operations.delete(id));
        }
        return accepted(await operation, apiVersion);
      },
    },
    {
      method: "GET",
      path: "/emails/operations/{operationId}",
      access: "token",
      name: "email-status",
      handle: async (request) => {
        const id = request.params["operationId"] ?? "";
        const operation = await operations.get(id)?.catch(() => undefined);
        if (!operation) return azureError(404, "NotFound", `The operation '${id}' was not found.`);
        return json({ id: operation.id, status: operation.status });
      },
    },
  ];
}
