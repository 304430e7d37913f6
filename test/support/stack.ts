import { mkdtemp, readdir, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type LocalStack, type LocalStackOptions, startLocalStack } from "../../local/stack.ts";

/** A whole local stack for one test file, in its own folder, on free ports, timers driven by hand. */
export async function startTestStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const workDir = await mkdtemp(join(tmpdir(), "phoenix-e2e-"));
  return startLocalStack({
    workDir,
    hostPort: 0,
    enableTimers: false,
    ...options,
    settings: { PHOENIX_AZURE_MAX_RETRIES: "2", ...options.settings },
  });
}

export async function outboxMessages(stack: LocalStack): Promise<string[]> {
  const files = (await readdir(stack.outboxDir)).filter((f) => f.endsWith(".eml")).sort();
  return Promise.all(files.map((f) => readFile(join(stack.outboxDir, f), "utf8")));
}

export async function postJson(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<Response> {
  return fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}
