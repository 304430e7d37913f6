import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generate } from "selfsigned";

/** Environment keys that carry the local stack's TLS material between its processes. */
export const TLS_CERT_ENV = "PHOENIX_LOCAL_TLS_CERT";
export const TLS_KEY_ENV = "PHOENIX_LOCAL_TLS_KEY";

export interface LocalTlsMaterial {
  certPath: string;
  keyPath: string;
}

/**
 * Makes a fresh self-signed certificate for loopback (127.0.0.1, ::1, localhost) in a private temp
 * folder. It is trusted only by the processes the local stack starts, through NODE_EXTRA_CA_CERTS:
 * nothing is added to the machine's trust store.
 */
export async function createLocalTls(): Promise<LocalTlsMaterial> {
  const dir = await mkdtemp(join(tmpdir(), "phoenix-ops-tls-"));
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
  return { certPath, keyPath };
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
