import { spawn } from "node:child_process";
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

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI with only the given settings (plus PATH and the local CA), as a user would. */
export function runCli(args: string[], env: Record<string, string | undefined>): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["dist/cli.cjs", ...args], {
      env: { PATH: process.env.PATH, NODE_EXTRA_CA_CERTS: process.env.NODE_EXTRA_CA_CERTS, ...env },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("exit", (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/** What the CLI needs to call a stack's API as an operator: its URL and the estate's managed identity. */
export function apiSettings(stack: LocalStack): Record<string, string | undefined> {
  return {
    PHOENIX_API_URL: stack.hostUrl,
    AZURE_CLIENT_ID: stack.settings.AZURE_CLIENT_ID,
    IDENTITY_ENDPOINT: stack.settings.IDENTITY_ENDPOINT,
    IDENTITY_HEADER: stack.settings.IDENTITY_HEADER,
  };
}
