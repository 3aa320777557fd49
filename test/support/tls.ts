/**
 * A throwaway certificate authority for TLS tests, made with openssl: a CA, a server certificate it signed for
 * 127.0.0.1 (subjectAltName=IP:127.0.0.1), and a second, unrelated CA that a client must refuse.
 */
import { execFile } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { tempDir } from "./tmp.ts";

const run = promisify(execFile);

export interface TestCa {
  /** The CA that signed the server certificate (PEM file). */
  ca: string;
  /** The server's certificate and key (PEM files), for 127.0.0.1. */
  cert: string;
  key: string;
  /** Another CA: trusting only this must fail the handshake. */
  otherCa: string;
}

async function makeCa(dir: string, name: string): Promise<{ pem: string; key: string }> {
  const pem = join(dir, `${name}.pem`);
  const key = join(dir, `${name}.key`);
  await run("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-sha256", "-days", "2", "-subj", `/CN=${name}`, "-keyout", key, "-out", pem]);
  return { pem, key };
}

export async function makeTestCa(): Promise<TestCa> {
  const dir = tempDir("scale-test-ca");
  const [ca, other] = await Promise.all([makeCa(dir, "scale-test-ca"), makeCa(dir, "scale-other-ca")]);
  const key = join(dir, "server.key");
  const csr = join(dir, "server.csr");
  const cert = join(dir, "server.pem");
  const ext = join(dir, "server.ext");
  await writeFile(ext, "subjectAltName=IP:127.0.0.1\n");
  await run("openssl", ["req", "-newkey", "rsa:2048", "-nodes", "-sha256", "-subj", "/CN=127.0.0.1", "-keyout", key, "-out", csr]);
  await run("openssl", ["x509", "-req", "-sha256", "-days", "2", "-in", csr, "-CA", ca.pem, "-CAkey", ca.key, "-CAcreateserial", "-extfile", ext, "-out", cert]);
  return { ca: ca.pem, cert, key, otherCa: other.pem };
}
