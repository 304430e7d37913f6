import { spawnSync } from "node:child_process";

/** The end-to-end tests run the built bundle, exactly what is deployed: build it once per test run. */
export default function setup(): void {
  const result = spawnSync(process.execPath, ["--import", "tsx", "scripts/build.ts"], { stdio: "inherit" });
  if (result.status !== 0) throw new Error("npm run build failed");
}
