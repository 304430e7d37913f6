/**
 * Runs a command with the local stack's TLS certificate trusted.
 *
 * Node reads NODE_EXTRA_CA_CERTS only when a process starts, so the certificate is made here and the
 * command is started with it: `tsx local/with-local-ca.ts vitest run`. The certificate's folder
 * (with its private key) is removed when this process exits, after the command has.
 */
import { spawn } from "node:child_process";
import { constants } from "node:os";
import { createLocalTls, tlsEnv, TLS_CERT_ENV } from "./tls.ts";

const [command, ...args] = process.argv.slice(2);
if (!command) {
  console.error("usage: with-local-ca <command> [args...]");
  process.exit(64);
}

const env = { ...process.env };
if (!env[TLS_CERT_ENV]) Object.assign(env, tlsEnv(await createLocalTls()));

const child = spawn(command, args, { stdio: "inherit", env, shell: process.platform === "win32" });
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => child.kill(signal));
}
child.on("exit", (code, signal) => {
  // A command ended by a signal exits as a shell reports it: 128 + the signal's number.
  process.exit(code ?? (signal ? 128 + (constants.signals[signal] ?? 1) : 1));
});
