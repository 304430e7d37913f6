/**
 * `npm run az -- <az arguments>`: runs the installed Azure CLI against the running local stack, as
 * against a sovereign cloud. az gets its own configuration folder under .local/ (the user's own az
 * login is never touched), trusts the estate's certificate, knows the estate as a cloud registered
 * from its metadata discovery, is signed in through the estate's managed identity, and sends no
 * telemetry.
 *
 *   npm start                                  (in another terminal)
 *   npm run az -- webapp list -o table
 *
 * The functions are exported for the az conformance tests, which run az against a stack of their own.
 */
import { spawn, spawnSync } from "node:child_process";
import { accessSync, constants, existsSync } from "node:fs";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { delimiter, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { z } from "zod";

/** The name the estate is registered under in az's cloud list. */
export const AZ_CLOUD_NAME = "PhoenixLocal";

/** Stands in for the site name App Service sets, which makes az use App Service's identity contract. */
const localSiteName = "phoenix-ops-local";

export interface AzTarget {
  /** `https://127.0.0.1:PORT` */
  estateUrl: string;
  /** `${estateUrl}/msi/token` */
  identityEndpoint: string;
  identityHeader: string;
  /** The estate's CA certificate (PEM). */
  caPath: string;
  /** az's configuration folder for this target. */
  configDir: string;
  /**
   * Which managed-identity contract az speaks: App Service's GET with the `secret` header (the
   * default), or the MSI extension's form POST, what az does when MSI_ENDPOINT is set outside App
   * Service (Cloud Shell, the old VM extension).
   */
  identityContract?: "app-service" | "msi-form";
}

export interface AzResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** What `npm start` leaves in .local/stack.json. */
const stackFileSchema = z.object({
  pid: z.number().int(),
  settings: z.object({
    IDENTITY_ENDPOINT: z.string().url(),
    IDENTITY_HEADER: z.string().min(1),
    PHOENIX_ARM_ENDPOINT: z.string().url(),
  }),
  caPath: z.string().min(1),
});

/** The az executable on PATH, or undefined. */
export function findAz(pathVariable = process.env["PATH"] ?? ""): string | undefined {
  const names = process.platform === "win32" ? ["az.cmd", "az.exe"] : ["az"];
  for (const dir of pathVariable.split(delimiter)) {
    if (!dir) continue;
    for (const name of names) {
      const candidate = join(dir, name);
      try {
        accessSync(candidate, constants.X_OK);
        return candidate;
      } catch {
        // not here
      }
    }
  }
  return undefined;
}

/** The environment every az call against the target runs with. */
export function azEnvironment(target: AzTarget, base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  // Whatever App Service marker the caller's environment carries, the target decides the contract.
  const rest = { ...base };
  delete rest["APPSETTING_WEBSITE_SITE_NAME"];
  return {
    ...rest,
    AZURE_CONFIG_DIR: target.configDir,
    // Python's requests reads its trust store from here; the estate's CA is the only one needed.
    REQUESTS_CA_BUNDLE: target.caPath,
    // App Service's managed-identity contract (2017-09-01, `secret` header) unless the form POST is asked for.
    MSI_ENDPOINT: target.identityEndpoint,
    MSI_SECRET: target.identityHeader,
    ...(target.identityContract === "msi-form" ? {} : { APPSETTING_WEBSITE_SITE_NAME: localSiteName }),
    AZURE_CORE_COLLECT_TELEMETRY: "0",
    AZURE_CORE_SURVEY_MESSAGE: "false",
    AZURE_CORE_NO_COLOR: "true",
  };
}

/** Runs az once with the target's environment and collects its output. */
export function runAz(az: string, target: AzTarget, args: string[]): Promise<AzResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(az, args, { env: azEnvironment(target), stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.once("error", reject);
    child.once("close", (code) => resolvePromise({ code: code ?? -1, stdout, stderr }));
  });
}

const sessionFileName = "phoenix-local-estate.json";
const sessionSchema = z.object({ estateUrl: z.string() });

/**
 * Makes the target's az configuration ready: telemetry off, the estate registered as a cloud from its
 * metadata discovery and made active, signed in through the managed identity. Done once per estate
 * (a new `npm start` is a new estate: new port, new signing key), so later commands cost one az run.
 */
export async function prepareAz(az: string, target: AzTarget): Promise<void> {
  const sessionFile = join(target.configDir, sessionFileName);
  try {
    const session = sessionSchema.parse(JSON.parse(await readFile(sessionFile, "utf8")));
    if (session.estateUrl === target.estateUrl) return;
  } catch {
    // No session for any estate yet, or an unreadable one: start afresh.
  }
  await rm(target.configDir, { recursive: true, force: true });
  await mkdir(target.configDir, { recursive: true });
  const steps: string[][] = [
    ["config", "set", "core.collect_telemetry=no", "core.survey_message=no", "--only-show-errors"],
    // The login endpoint and the token audience come from the estate's metadata discovery. The
    // 2015-01-01 document az 2.45 reads carries no Microsoft Graph id and no Key Vault suffix (Azure's
    // neither), so they are given here as Azure's own values.
    [
      "cloud",
      "register",
      "--name",
      AZ_CLOUD_NAME,
      "--cloud-config",
      JSON.stringify({
        endpoints: {
          resourceManager: `${target.estateUrl}/`,
          microsoftGraphResourceId: "https://graph.microsoft.com/",
        },
        suffixes: { keyvaultDns: ".vault.azure.net" },
      }),
    ],
    ["cloud", "set", "--name", AZ_CLOUD_NAME],
    ["login", "--identity", "--output", "none"],
  ];
  for (const step of steps) {
    const result = await runAz(az, target, step);
    if (result.code !== 0) {
      throw new Error(`az ${step.join(" ")} failed (exit ${result.code}): ${result.stderr.trim()}`);
    }
  }
  await writeFile(sessionFile, `${JSON.stringify({ estateUrl: target.estateUrl })}\n`);
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** The running stack's coordinates from .local/stack.json, or a sentence saying why there are none. */
export async function readStackTarget(
  // Where `npm start` keeps its state: the same folder it writes to.
  workDir = resolve(process.env["PHOENIX_LOCAL_DIR"] ?? ".local"),
): Promise<AzTarget | string> {
  const notRunning = "The local stack is not running: start it with `npm start` (in another terminal) first.";
  const stackFile = join(workDir, "stack.json");
  if (!existsSync(stackFile)) return notRunning;
  let parsed;
  try {
    parsed = stackFileSchema.safeParse(JSON.parse(await readFile(stackFile, "utf8")));
  } catch {
    return notRunning;
  }
  if (!parsed.success || !processAlive(parsed.data.pid)) return notRunning;
  const { settings, caPath } = parsed.data;
  return {
    estateUrl: settings.PHOENIX_ARM_ENDPOINT.replace(/\/+$/, ""),
    identityEndpoint: settings.IDENTITY_ENDPOINT,
    identityHeader: settings.IDENTITY_HEADER,
    caPath,
    configDir: join(workDir, "az"),
  };
}

async function main(args: string[]): Promise<number> {
  const az = findAz();
  if (!az) {
    console.error(
      "az (the Azure CLI) is not installed: install it with `sudo apt-get install azure-cli` (Debian, Ubuntu) or see https://learn.microsoft.com/cli/azure/install-azure-cli.",
    );
    return 127;
  }
  const target = await readStackTarget();
  if (typeof target === "string") {
    console.error(target);
    return 1;
  }
  try {
    await prepareAz(az, target);
  } catch (error) {
    console.error(
      `Could not sign az in to the local estate: ${error instanceof Error ? error.message : String(error)}`,
    );
    return 1;
  }
  // Inherit the terminal: az's tables, colours and prompts go straight to the user.
  const result = spawnSync(az, args, { env: azEnvironment(target), stdio: "inherit" });
  return result.status ?? 1;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  process.exit(await main(process.argv.slice(2)));
}
