import { rmSync } from "node:fs";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Environment keys that carry the local stack's TLS material between its processes. */
export const TLS_CERT_ENV = "PHOENIX_LOCAL_TLS_CERT";
export const TLS_KEY_ENV = "PHOENIX_LOCAL_TLS_KEY";

export interface LocalTlsMaterial {
  certPath: string;
  keyPath: string;
  /** The private folder holding both files (removed by removeLocalTls and when this process exits). */
  dir?: string;
}

const PREFIX = "phoenix-ops-tls-";

/**
 * Makes a fresh self-signed certificate for loopback (127.0.0.1, ::1, localhost) in a private temp
 * folder (0700, files 0600). It is trusted only by the processes the local stack starts, through
 * NODE_EXTRA_CA_CERTS: nothing is added to the machine's trust store.
 *
 * The folder holds a CA private key, so it lives no longer than the process that made it: it is
 * removed when that process exits (also after an uncaught error or process.exit). A process killed
 * outright (SIGKILL) cannot clean up, so the folder's name carries the owner's pid and the next call
 * removes folders whose owner is gone. Every process that trusts the certificate is started by the
 * owner and stops with it, so nobody still needs a folder whose owner is gone.
 */
export async function createLocalTls(): Promise<LocalTlsMaterial> {
  await removeOrphanedTls();
  // Loaded here, not at the top: `npm start -- --help` should not pay for the key generator.
  const { generate } = await import("selfsigned");
  const dir = await mkdtemp(join(tmpdir(), `${PREFIX}${process.pid}-`));
  const removeOnExit = (): void => rmSync(dir, { recursive: true, force: true });
  process.once("exit", removeOnExit);
  const now = Date.now();
  const pems = await generate([{ name: "commonName", value: "phoenix-ops local estate" }], {
    keyType: "ec",
    curve: "P-256",
    algorithm: "sha256",
    notBeforeDate: new Date(now - 60_000),
    notAfterDate: new Date(now + 7 * 24 * 3600_000),
    extensions: [
      { name: "basicConstraints", cA: true, critical: true },
      { name: "keyUsage", digitalSignature: true, keyCertSign: true, critical: true },
      { name: "extKeyUsage", serverAuth: true },
      {
        name: "subjectAltName",
        altNames: [
          { type: 7, ip: "127.0.0.1" },
          { type: 7, ip: "::1" },
          { type: 2, value: "localhost" },
        ],
      },
    ],
  });
  const certPath = join(dir, "cert.pem");
  const keyPath = join(dir, "key.pem");
  await writeFile(certPath, pems.cert, { mode: 0o600 });
  await writeFile(keyPath, pems.private, { mode: 0o600 });
  return { certPath, keyPath, dir };
}

/** Removes the material now (the exit hook then finds nothing left to do). */
export async function removeLocalTls(material: LocalTlsMaterial): Promise<void> {
  if (material.dir) await rm(material.dir, { recursive: true, force: true });
}

/** Whether a process with this pid still runs (EPERM: it runs, as another user). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Folders made by createLocalTls in processes that are gone (only ours: the name carries the pid). */
async function removeOrphanedTls(): Promise<void> {
  const entries = await readdir(tmpdir()).catch(() => [] as string[]);
  await Promise.all(
    entries.map(async (name) => {
      const match = new RegExp(`^${PREFIX}(\\d+)-`).exec(name);
      const pid = Number(match?.[1]);
      if (!match || pid === process.pid || processAlive(pid)) return;
      await rm(join(tmpdir(), name), { recursive: true, force: true }).catch(() => undefined);
    }),
  );
}

/** Reads the material named by the environment, for a process started by the local stack. */
export async function readLocalTls(
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ cert: string; key: string }> {
  const certPath = env[TLS_CERT_ENV];
  const keyPath = env[TLS_KEY_ENV];
  if (!certPath || !keyPath) {
    throw new Error(
      `${TLS_CERT_ENV} and ${TLS_KEY_ENV} are not set: start local processes through local/with-local-ca.ts`,
    );
  }
  const [cert, key] = await Promise.all([readFile(certPath, "utf8"), readFile(keyPath, "utf8")]);
  return { cert, key };
}

/** The environment a child process needs to trust the local estate. */
export function tlsEnv(material: LocalTlsMaterial): Record<string, string> {
  return {
    [TLS_CERT_ENV]: material.certPath,
    [TLS_KEY_ENV]: material.keyPath,
    NODE_EXTRA_CA_CERTS: material.certPath,
  };
}
