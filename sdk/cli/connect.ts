/**
 * The CLI's client of a running coordinator (--coordinator ADDR): over TLS when EDIFF_CA names
 * the CA's certificate, with the bearer token in EDIFF_TOKEN (an environment variable rather
 * than a flag, so that it shows in no process list or shell history).
 */
import { EdiffClient } from '../client.ts';

export function connect(address: string): EdiffClient {
  const ca = process.env.EDIFF_CA;
  const token = process.env.EDIFF_TOKEN;
  return new EdiffClient(address, { ...(ca && { ca }), ...(token && { token }) });
}
