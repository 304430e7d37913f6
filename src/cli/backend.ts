import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { OpsError } from "../shared/errors.ts";
import { issuesList } from "../shared/validation.ts";
import { UsageError } from "./api-client.ts";

export type CliEnvironment = Record<string, string | undefined>;

export type Backend =
  | { kind: "api"; url: string; audience: string; clientId?: string }
  | { kind: "direct"; env: CliEnvironment }
  | { kind: "local-stack"; problem: Error };

/** The CLI's own settings: only what it takes to call the app's API. */
const apiSettings = z.object({
  PHOENIX_API_URL: z.url({
    protocol: /^https?$/,
    error: "set PHOENIX_API_URL to the function app's URL, e.g. https://<app>.azurewebsites.net",
  }),
  PHOENIX_API_AUDIENCE: z.string().min(1).default("api://phoenix-ops"),
  AZURE_CLIENT_ID: z.string().min(1).optional(),
});

const appSettingKeys = ["AzureWebJobsStorage", "AzureWebJobsStorage__accountName", "PHOENIX_POLICY_PATH"];

/**
 * Where a command goes: the app's API (PHOENIX_API_URL), this process (--direct, with the app's
 * settings and the operator's own credential), or, with nothing configured, a local stack. Settings
 * come from the environment, then `local.settings.json` Values (like `func start`), read only now that
 * a command is to run: `--help` never depends on them.
 */
export function resolveBackend(env: CliEnvironment, options: { direct: boolean; cwd?: string }): Backend {
  const merged = { ...localSettingsValues(options.cwd ?? process.cwd()), ...definedOnly(env) };
  if (options.direct) {
    if (!appSettingKeys.some((key) => merged[key])) {
      return {
        kind: "local-stack",
        problem: new UsageError(
          "--direct needs the app's settings (AzureWebJobsStorage, PHOENIX_POLICY_PATH, …)",
        ),
      };
    }
    // On a laptop the operator signs in like the az CLI does (DefaultAzureCredential).
    return { kind: "direct", env: { PHOENIX_CREDENTIAL: "default", ...merged } };
  }
  if (!merged.PHOENIX_API_URL) {
    return {
      kind: "local-stack",
      problem: new UsageError(
        "set PHOENIX_API_URL to the function app's URL, e.g. https://<app>.azurewebsites.net",
      ),
    };
  }
  const parsed = apiSettings.safeParse(merged);
  if (!parsed.success) {
    throw new OpsError(
      "SettingsInvalid",
      `settings for the Phoenix Ops API are invalid:\n${issuesList(parsed.error.issues)}`,
    );
  }
  return {
    kind: "api",
    url: parsed.data.PHOENIX_API_URL,
    audience: parsed.data.PHOENIX_API_AUDIENCE,
    ...(parsed.data.AZURE_CLIENT_ID ? { clientId: parsed.data.AZURE_CLIENT_ID } : {}),
  };
}

function definedOnly(env: CliEnvironment): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) if (value !== undefined && value !== "") out[key] = value;
  return out;
}

const localSettingsFile = z.object({
  Values: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
});

function localSettingsValues(cwd: string): Record<string, string> {
  const file = join(cwd, "local.settings.json");
  if (!existsSync(file)) return {};
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    throw new OpsError(
      "SettingsInvalid",
      `local.settings.json is not valid JSON (${(error as Error).message})`,
    );
  }
  const parsed = localSettingsFile.safeParse(raw);
  if (!parsed.success) {
    throw new OpsError(
      "SettingsInvalid",
      `local.settings.json is invalid:\n${issuesList(parsed.error.issues)}`,
    );
  }
  return Object.fromEntries(Object.entries(parsed.data.Values ?? {}).map(([k, v]) => [k, String(v)]));
}
