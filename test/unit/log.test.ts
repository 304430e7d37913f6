import { describe, expect, it } from "vitest";
import { createLogger, redact } from "../../src/shared/log.ts";

describe("log redaction", () => {
  it("masks fields named like credentials, by exact name in any case", () => {
    expect(
      redact({
        password: "p",
        clientSecret: "s",
        Authorization: "x",
        connectionString: "c",
        nested: { token: "t" },
      }),
    ).toEqual({
      password: "[redacted]",
      clientSecret: "[redacted]",
      Authorization: "[redacted]",
      connectionString: "[redacted]",
      nested: { token: "[redacted]" },
    });
  });

  it("keeps facts whose names merely contain such a word: an alert key, a signal, a monkey", () => {
    const facts = {
      key: "ab12",
      signal: "Metric",
      monkey: "m",
      keyVault: "kv-prod",
      dequeueCount: 2,
      code: "NotFound",
    };
    expect(redact(facts)).toEqual(facts);
  });

  it("masks values that look like credentials wherever they are", () => {
    const jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl";
    expect(
      redact({
        detail: `token ${jwt}`,
        storage: "DefaultEndpointsProtocol=https;AccountName=a;AccountKey=abc==",
        url: "https://a.blob.core.windows.net/c/b?sv=2024&sig=abc",
        webhook: "https://app/api/alerts?code=xyz",
        header: "Bearer abc",
        list: [jwt],
        fine: "https://a.blob.core.windows.net/c/b",
      }),
    ).toEqual({
      detail: "[redacted]",
      storage: "[redacted]",
      url: "[redacted]",
      webhook: "[redacted]",
      header: "[redacted]",
      list: ["[redacted]"],
      fine: "https://a.blob.core.windows.net/c/b",
    });
  });

  it("writes the base facts (invocation id, function name) on every entry", () => {
    const entries: Record<string, unknown>[] = [];
    const logger = createLogger((_level, message, meta) => entries.push({ message, ...meta }), {
      invocationId: "inv-1",
      functionName: "alerts-webhook",
    });
    logger.warn("request refused", { reason: "expired_token", secret: "s" });
    expect(entries).toEqual([
      {
        message: "request refused",
        invocationId: "inv-1",
        functionName: "alerts-webhook",
        reason: "expired_token",
        secret: "[redacted]",
      },
    ]);
  });
});
