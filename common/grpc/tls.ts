/**
 * TLS credentials from PEM files: a server's certificate and key (and, for mutual TLS, the CA
 * whose certificates its callers must present), a client's CA to trust (and its own certificate).
 */
import { readFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';

export interface ServerTls {
  cert: string;
  key: string;
  /** Require callers to present a certificate this CA signed (mutual TLS). */
  clientCa?: string;
}

const read = (file: string, what: string): Buffer => {
  try {
    return readFileSync(file);
  } catch (cause) {
    throw new Error(`cannot read the ${what} ${file}: ${(cause as NodeJS.ErrnoException).code ?? (cause as Error).message}`, { cause });
  }
};

/** Plaintext without `tls`; else TLS with the certificate and key, and client certificates required when `clientCa` is given. */
export function serverCredentials(tls: ServerTls | null): grpc.ServerCredentials {
  if (!tls) return grpc.ServerCredentials.createInsecure();
  const ca = tls.clientCa ? read(tls.clientCa, 'client CA certificate') : null;
  return grpc.ServerCredentials.createSsl(ca, [{ cert_chain: read(tls.cert, 'certificate'), private_key: read(tls.key, 'private key') }], ca !== null);
}

export interface ClientTls {
  /** The CA that signed the server's certificate. */
  ca: Buffer;
  /** A client certificate and key, for servers that require one. */
  cert?: Buffer;
  key?: Buffer;
}

/** `anyName`: accept any server certificate the CA signed, whatever name it has (nodes are reached by pod IP). */
export function channelCredentials(tls: ClientTls | null, anyName = false): grpc.ChannelCredentials {
  if (!tls) return grpc.credentials.createInsecure();
  return grpc.credentials.createSsl(tls.ca, tls.key ?? null, tls.cert ?? null, anyName ? { checkServerIdentity: () => undefined } : {});
}

/** The PEM files a coordinator secures its channels to the nodes with (mutual TLS). */
export interface NodeTlsFiles {
  ca: string;
  cert: string;
  key: string;
}

/**
 * Channel credentials to the nodes: mutual TLS from the files, or plaintext. A node is trusted
 * for a certificate the private CA signed, not for a name: nodes register and are reached by
 * pod IP, which no certificate names.
 */
export const nodeCredentials = (files: NodeTlsFiles | null): grpc.ChannelCredentials =>
  channelCredentials(files && { ca: read(files.ca, 'node CA certificate'), cert: read(files.cert, 'client certificate'), key: read(files.key, 'client key') }, true);

/** Is this a loopback address (where plaintext is allowed without --insecure)? */
export const isLoopback = (host: string) => host === 'localhost' || host === '::1' || /^127\./.test(host);
