import { randomUUID } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { EmailClient } from "@azure/communication-email";
import type { EmailMessage } from "@azure/communication-email";
import type { ManagedIdentityCredential } from "@azure/identity";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Estate } from "../../local/estate/index.ts";
import { at, call, rawToken, startTestEstate } from "./helpers.ts";

const subject = "Santé check – 健康 ✓ prod is degraded";

function message(): EmailMessage {
  return {
    senderAddress: "DoNotReply@phoenixvc.tech",
    recipients: {
      to: [{ address: "ops@phoenixvc.tech", displayName: "Phoenix Ops" }],
      cc: [{ address: "oncall@phoenixvc.tech", displayName: "Zoë On-Call" }],
    },
    content: {
      subject,
      plainText:
        "The web app answers 15% of requests with 5xx.\nSee the dashboard: https://example.invalid/dashboard?env=prod&window=15m",
      html: "<html><body><h1>Health check — prod</h1><p>Web app errors: <b>15%</b></p></body></html>",
    },
  };
}

/** Decodes the RFC 2047 encoded words of a header value. */
function decodeWords(value: string): string {
  return value
    .replace(/\r\n\s+/g, "")
    .replace(/=\?UTF-8\?B\?([^?]+)\?=/g, (_, b64: string) => Buffer.from(b64, "base64").toString("utf8"));
}

function header(eml: string, name: string): string | undefined {
  const match = new RegExp(`^${name}: (.*(?:\\r\\n[ \\t].*)*)`, "m").exec(eml);
  return match?.[1];
}

describe("Communication Services Email", () => {
  let estate: Estate;
  let credential: ManagedIdentityCredential;
  let close: () => Promise<void>;
  let outboxDir: string;
  let client: EmailClient;

  const files = async () => (await readdir(outboxDir)).filter((f) => f.endsWith(".eml")).sort();

  beforeAll(async () => {
    ({ estate, credential, close, outboxDir } = await startTestEstate());
    client = new EmailClient(estate.url, credential);
  });
  afterAll(() => close());

  it("accepts a message through beginSend and writes it as an .eml file", async () => {
    const operationId = randomUUID();
    const poller = await client.beginSend(message(), { operationId });
    const result = await poller.pollUntilDone();
    expect(result.status).toBe("Succeeded");
    expect(result.id).toBe(operationId);

    const written = await files();
    expect(written).toHaveLength(1);
    expect(written[0]).toMatch(new RegExp(`^\\d{8}T\\d{6}\\.\\d{3}Z-${operationId}\\.eml$`));
    const eml = await readFile(join(outboxDir, written[0] ?? ""), "utf8");
    expect(eml).toContain("\r\n");
    expect(header(eml, "From")).toBe("<DoNotReply@phoenixvc.tech>");
    expect(header(eml, "To")).toBe('"Phoenix Ops" <ops@phoenixvc.tech>');
    expect(decodeWords(header(eml, "Cc") ?? "")).toBe("Zoë On-Call <oncall@phoenixvc.tech>");
    expect(header(eml, "Subject")).toMatch(/^=\?UTF-8\?B\?/);
    expect(decodeWords(header(eml, "Subject") ?? "")).toBe(subject);
    expect(header(eml, "Date")).toMatch(/^\w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} \+0000$/);
    expect(header(eml, "Message-ID")).toMatch(/^<.+@.+>$/);
    expect(header(eml, "Content-Type")).toMatch(/^multipart\/alternative;\r\n boundary="/);
    expect(eml).toContain("Content-Type: text/plain; charset=utf-8");
    expect(eml).toContain("Content-Type: text/html; charset=utf-8");
    expect(eml).toContain("Content-Transfer-Encoding: quoted-printable");
    // Quoted-printable: '=' is escaped, non-ASCII is encoded, no line is longer than 76 characters.
    expect(eml).toContain("env=3Dprod");
    expect(eml).toContain("=E2=80=94");
    expect(eml.split("\r\n").every((line) => line.length <= 78)).toBe(true);
  });

  it("does not send twice for the same Operation-Id", async () => {
    const operationId = randomUUID();
    const first = await (await client.beginSend(message(), { operationId })).pollUntilDone();
    const before = await files();
    const second = await (await client.beginSend(message(), { operationId })).pollUntilDone();
    expect(second.id).toBe(first.id);
    expect(await files()).toEqual(before);
  });

  it("retries through injected 503s and then delivers once", async () => {
    const before = (await files()).length;
    estate.resetStats();
    estate.addFault({
      pathPattern: "^/emails:send$",
      method: "POST",
      status: 503,
      retryAfterSeconds: 0,
      count: 2,
    });
    const result = await (await client.beginSend(message(), { operationId: randomUUID() })).pollUntilDone();
    expect(result.status).toBe("Succeeded");
    expect(estate.stats().faults).toBe(2);
    expect(estate.stats().byRoute["email-send"]).toBe(3);
    expect(await files()).toHaveLength(before + 1);
  });

  it("rejects a message without recipients, and unknown operations", async () => {
    const token = await rawToken(estate, "https://communication.azure.com");
    const bad = await call(estate, "POST", "/emails:send?api-version=2023-03-31", {
      token,
      body: {
        senderAddress: "DoNotReply@phoenixvc.tech",
        recipients: { to: [] },
        content: { subject: "x", plainText: "y" },
      },
    });
    expect(bad.status).toBe(400);
    expect(String(at(bad.body, "error", "message"))).toContain("recipients.to");

    const unknown = await call(estate, "GET", `/emails/operations/${randomUUID()}?api-version=2023-03-31`, {
      token,
    });
    expect(unknown.status).toBe(404);
  });
});
