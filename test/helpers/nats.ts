/** A real nats-server (JetStream on) for tests, on a random loopback port, in a temporary folder. */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { tempDir } from './reference.ts';

export interface NatsServer {
  url: string;
  stop(): Promise<void>;
}

export async function startNatsServer(): Promise<NatsServer> {
  const store = tempDir('nats');
  const child = spawn('nats-server', ['--jetstream', '--store_dir', store.dir, '--addr', '127.0.0.1', '--port', '-1', '--http_port', '0'], { stdio: ['ignore', 'ignore', 'pipe'] });
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
