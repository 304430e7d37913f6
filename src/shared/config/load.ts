import { readFileSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";
import { OpsError } from "../errors.ts";
import { issuesList } from "../validation.ts";
import { type OpsPolicy, policySchema } from "./policy.ts";
import { type Settings, pickSettings, settingsSchema, storageSettingIssue } from "./settings.ts";

export function loadSettings(env: Record<string, string | undefined>): Settings {
  const raw = pickSettings(env);
  const parsed = settingsSchema.safeParse(raw);
  const storageIssue = storageSettingIssue(raw);
  if (!parsed.success || storageIssue) {
    const lines = [
      ...(storageIssue ? [`  - AzureWebJobsStorage: ${storageIssue}`] : []),
      ...(parsed.success ? [] : [issuesList(parsed.error.issues)]),
    ];
    throw new OpsError("SettingsInvalid", `app settings are invalid:\n${lines.join("\n")}`);
  }
  return parsed.data;
}

export function parsePolicy(raw: unknown, source: string): OpsPolicy {
  const parsed = policySchema.safeParse(raw);
  if (!parsed.success) {
    throw new OpsError(
      "ConfigInvalid",
      `ops policy ${source} is invalid:\n${issuesList(parsed.error.issues)}`,
    );
  }
  return parsed.data;
}

export function loadPolicyFile(path: string, baseDir: string = process.cwd()): OpsPolicy {
  const file = isAbsolute(path) ? path : resolve(baseDir, path);
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new OpsError(
      "ConfigInvalid",
      `ops policy ${path} cannot be read (${(error as NodeJS.ErrnoException).code ?? "error"})`,
      { cause: error },
    );
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new OpsError("ConfigInvalid", `ops policy ${path} is not valid JSON: ${(error as Error).message}`, {
      cause: error,
    });
  }
  return parsePolicy(raw, path);
}
