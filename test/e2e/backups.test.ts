import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalStack } from "../../local/stack.ts";
import type { BackupReport } from "../../src/shared/operations/backups/report.ts";
import { api, tokenFor } from "../support/incidents.ts";
import { apiSettings, runCli, startTestStack } from "../support/stack.ts";

/**
 * Backups end to end through the local host: the guide's verification against the estate's vault in
 * each backup scenario (HTTP and the CLI, with its exit codes), az backup job list, and backup-now with
 * the guide's flags through its whole lifecycle.
 */
let stack: LocalStack;
let reader: string;

beforeAll(async () => {
  stack = await startTestStack({ scenario: "log-gap" });
  reader = await tokenFor(stack, "reader");
}, 120_000);
afterAll(async () => {
  await stack?.close();
});

async function verifyOverHttp(): Promise<BackupReport> {
  const response = await api(stack, reader, "backup-verifications", {
    method: "POST",
    body: JSON.stringify({ environment: "prod", notify: false }),
  });
  expect(response.status).toBe(200);
  return (await response.json()) as BackupReport;
}

function item(report: BackupReport, name: string) {
  return report.vaults.flatMap((v) => v.items).find((i) => i.item === name);
}

describe("backup verify through the local host", () => {
  it("log-gap: the CLI names the item and its 3-hour restore point and exits 2", async () => {
    const result = await runCli(["backup", "verify", "--environment", "prod"], apiSettings(stack));
    expect(result.code).toBe(2);
    expect(result.stdout).toMatch(
      /rsv-phoenix-prod \/ phoenixledger [\s\S]*Restore point age +3 h +≤ 1 h +CRITICAL/,
    );
    expect(result.stdout).toContain("3 h of data would be lost");
    expect(result.stdout).toMatch(/rsv-phoenix-prod \/ phoenixledger .*180 min/);
    expect(result.stdout).toContain("OVERALL: CRITICAL");
  }, 60_000);

  it("every backup scenario gives the status it must, with the right item and reason", async () => {
    const expectations: [Parameters<LocalStack["estate"]["setScenario"]>[0], string, string, RegExp][] = [
      ["backup-healthy", "ok", "Restore point age", /newest restorable point/],
      ["missed-full", "critical", "Newest Full", /newest successful Full is 9 days (1|2) h old/],
      [
        "failed-differential",
        "critical",
        "Newest Differential",
        /newest successful Differential is 2 days (1|2) h old/,
      ],
      ["log-gap", "critical", "Restore point age", /3 h old/],
      ["retention-short", "warning", "Full retention", /SqlGuidePolicy keeps Full 4 weeks \(28 days\)/],
    ];
    try {
      for (const [scenario, status, label, reason] of expectations) {
        stack.estate.setScenario(scenario);
        const report = await verifyOverHttp();
        expect(report.status, scenario).toBe(status);
        const db = item(report, "phoenixledger");
        expect(db?.status, scenario).toBe(status);
        const check = db?.checks.find((c) => c.label === label);
        expect(check?.reason, scenario).toMatch(reason);
        // The VM itself stays healthy throughout.
        expect(item(report, "sqlvm-phoenix-prod")?.status, scenario).toBe("ok");
      }
      stack.estate.setScenario("failed-differential");
      const failed = item(await verifyOverHttp(), "phoenixledger");
      expect(failed?.checks.find((c) => c.label === "Failed jobs")?.reason).toContain(
        "the log chain is broken",
      );
    } finally {
      stack.estate.setScenario("log-gap");
    }
    const history = await api(stack, reader, "backup-verifications?environment=prod&limit=50");
    expect(history.status).toBe(200);
    const runs = ((await history.json()) as { runs: { status: string }[] }).runs;
    expect(runs.length).toBeGreaterThanOrEqual(6);
  }, 90_000);
});

describe("the guide's backup commands", () => {
  const guide = ["--vault-name", "rsv-phoenix-prod", "--resource-group", "rg-phoenix-prod"];

  it("backup job list: the vault's jobs, as a table and as JSON", async () => {
    const table = await runCli(
      ["backup", "job", "list", ...guide, "--output", "table", "--since", "7d"],
      apiSettings(stack),
    );
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^Name +Operation +Status +Item Name/);
    expect(table.stdout).toMatch(/Backup \(Differential\) +Completed +phoenixledger +AzureWorkload/);
    const json = await runCli(
      ["backup", "job", "list", ...guide, "--output", "json", "--since", "P30D"],
      apiSettings(stack),
    );
    const jobs = (JSON.parse(json.stdout) as { jobs: { operation: string }[] }).jobs;
    expect(jobs.length).toBeGreaterThan(50);
    const unknown = await runCli(
      ["backup", "job", "list", "--vault-name", "rsv-nope", "--resource-group", "rg-phoenix-prod"],
      apiSettings(stack),
    );
    expect(unknown.code).toBe(64);
    expect(unknown.stderr).toContain('no Recovery Services vault "rsv-nope"');
  }, 60_000);

  it("backup-now: an Ops.Reader is refused; with the guide's flags it prints the job to completion", async () => {
    const refused = await api(stack, reader, "backups", {
      method: "POST",
      body: JSON.stringify({
        itemName: "phoenixledger",
        vaultName: "rsv-phoenix-prod",
        resourceGroup: "rg-phoenix-prod",
        containerName: "sqlvm-phoenix-prod",
      }),
    });
    expect(refused.status).toBe(403);
    const args = [
      "backup",
      "protection",
      "backup-now",
      "--item-name",
      "phoenixledger",
      ...guide,
      "--container-name",
      "sqlvm-phoenix-prod",
    ];
    const dry = await runCli([...args, "--dry-run"], apiSettings(stack));
    expect(dry.code).toBe(0);
    expect(dry.stdout).toMatch(/DRY-RUN/);
    const result = await runCli(
      [...args, "--backup-type", "Differential", "--reason", "before the release"],
      apiSettings(stack),
    );
    expect(result.stderr).toContain("through change control");
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/Job: +\S+ +Backup \(Differential\) +Completed/);
    expect(result.stdout).toMatch(/SUCCEEDED/);
    // The same request again starts no second backup: it answers the first change.
    const again = await runCli(
      [...args, "--backup-type", "Differential", "--reason", "before the release"],
      apiSettings(stack),
    );
    expect(again.code).toBe(0);
    expect(again.stdout.match(/CHG-\S+/)?.[0]).toBe(result.stdout.match(/CHG-\S+/)?.[0]);
    const badType = await runCli(
      [
        "backup",
        "protection",
        "backup-now",
        "--item-name",
        "sqlvm-phoenix-prod",
        ...guide,
        "--container-name",
        "sqlvm-phoenix-prod",
        "--backup-type",
        "Log",
      ],
      apiSettings(stack),
    );
    expect(badType.code).toBe(64);
    expect(badType.stderr).toContain("has no Log backup");
    const unknown = await runCli(
      [
        "backup",
        "protection",
        "backup-now",
        "--item-name",
        "nope",
        ...guide,
        "--container-name",
        "sqlvm-phoenix-prod",
      ],
      apiSettings(stack),
    );
    expect(unknown.code).toBe(64);
    expect(unknown.stderr).toContain('no protected item "nope"');
  }, 90_000);
});
