/** A real nats-server (JetStream on) for tests, on a random loopback port, in a temporary folder. */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { tempDir } from './reference.ts';

export interface NatsServer {
  url: string;
  stop(): Promise<void>;
}

/** `tls`: serve TLS only, with this certificate and key; `user` / `pass`: require them. */
export async function startNatsServer(o: { tls?: { cert: string; key: string }; user?: string; pass?: string } = {}): Promise<NatsServer> {
  const store = tempDir('nats');
  const args = ['--jetstream', '--store_dir', store.dir, '--addr', '127.0.0.1', '--port', '-1', '--http_port', '0'];
  if (o.tls) args.push('--tls', '--tlscert', o.tls.cert, '--tlskey', o.tls.key);
  if (o.user) args.push('--user', o.user, '--pass', o.pass ?? '');
  const child = spawn('nats-server', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const log: string[] = [];
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`nats-server did not start:\n${log.join('\n')}`)), 15_000);
    createInterface({ input: child.stderr! }).on('line', (line) => {
      log.push(line);
      const m = /Listening for client connections on (\S+)/.exec(line);
      if (m) {
        clearTimeout(timer);
        resolve(`nats://${m[1]}`);
      }
    });
    child.once('error', (e) => reject(new Error(`cannot run nats-server (npm run system-deps installs it): ${e.message}`)));
    child.once('exit', (code) => reject(new Error(`nats-server exited with ${code}:\n${log.join('\n')}`)));
  });
  return {
    url,
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
      store.remove();
    },
  };
}
