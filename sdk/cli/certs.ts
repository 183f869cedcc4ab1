/**
 * `ediff certs DIR [--host NAME ...]`: a development CA and certificates signed by it, made with
 * the openssl command (no hand-written ASN.1): `ca.crt` / `ca.key`, `server.crt` / `server.key`
 * (for localhost, 127.0.0.1 and each --host), `client.crt` / `client.key` (for callers that must
 * present one). For production, use your own CA (cert-manager, a company PKI).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { UsageError } from './usage.ts';

const CERTS_USAGE = `usage: ediff certs DIR [--host NAME]... [--days N]

Writes a development CA (ca.crt, ca.key), a server certificate for localhost, 127.0.0.1 and each
--host (server.crt, server.key) and a client certificate (client.crt, client.key), all signed by
the CA, with openssl. Then: coordinator --tls-cert DIR/server.crt --tls-key DIR/server.key, and
clients trust DIR/ca.crt (EDIFF_CA=DIR/ca.crt for the CLI).`;

function openssl(args: string[]): void {
  try {
    execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (cause) {
    const e = cause as { code?: string; stderr?: Buffer };
    throw new Error(e.code === 'ENOENT' ? 'ediff certs needs the openssl command (apt-get install openssl)' : `openssl ${args[0]} failed: ${e.stderr?.toString().trim()}`, { cause });
  }
}

/** Writes the CA and the server and client certificates into `dir` (the server's for localhost and 127.0.0.1 too unless `loopback` is false); returns their paths. */
export function makeCertificates(dir: string, hosts: string[] = [], days = 365, loopback = true): Record<'ca' | 'caKey' | 'server' | 'serverKey' | 'client' | 'clientKey', string> {
  mkdirSync(dir, { recursive: true });
  const at = (name: string) => path.join(dir, name);
  const key = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  openssl(['req', '-x509', ...key, '-keyout', at('ca.key'), '-out', at('ca.crt'), '-days', String(days), '-subj', '/CN=ediff development CA']);
  const names = [...new Set([...(loopback ? ['localhost', '127.0.0.1'] : []), ...hosts])].map((h) => (isIP(h) ? `IP:${h}` : `DNS:${h}`));
  const sign = (name: string, cn: string, usage: string, san: string[]) => {
    const ext = at(`${name}.ext`);
    writeFileSync(ext, `${san.length > 0 ? `subjectAltName=${san.join(',')}\n` : ''}extendedKeyUsage=${usage}\nbasicConstraints=CA:FALSE\n`);
    openssl(['req', ...key, '-keyout', at(`${name}.key`), '-out', at(`${name}.csr`), '-subj', `/CN=${cn}`]);
    openssl(['x509', '-req', '-in', at(`${name}.csr`), '-CA', at('ca.crt'), '-CAkey', at('ca.key'), '-CAcreateserial', '-out', at(`${name}.crt`), '-days', String(days), '-extfile', ext]);
  };
  sign('server', 'ediff', 'serverAuth,clientAuth', names);
  sign('client', 'ediff client', 'clientAuth', []);
  return { ca: at('ca.crt'), caKey: at('ca.key'), server: at('server.crt'), serverKey: at('server.key'), client: at('client.crt'), clientKey: at('client.key') };
}

export async function certsCommand(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({ args, options: { host: { type: 'string', multiple: true }, days: { type: 'string', default: '365' }, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
  if (values.help) return void console.log(CERTS_USAGE);
  if (positionals.length !== 1) throw new UsageError(`certs takes one folder to write\n\n${CERTS_USAGE}`);
  const days = Number(values.days);
  if (!Number.isInteger(days) || days < 1) throw new UsageError(`--days must be a whole number >= 1, got ${values.days}`);
  const dir = positionals[0]!;
  if (existsSync(path.join(dir, 'ca.key'))) throw new UsageError(`${dir} already holds a CA; choose another folder`);
  const made = makeCertificates(dir, values.host ?? [], days);
  for (const file of Object.values(made)) console.log(path.resolve(file));
}
