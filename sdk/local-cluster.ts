/**
 * The embedded local cluster: every node of a pack as a child process on loopback (encoder, one
 * expert node per base expert, one SR node per SR stage, then the coordinator), each on a free
 * port. The main job and the integration tests use it; `ediff cluster up` keeps one running.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { loadPack, packFlags, type PackLocation } from '../common/pack/load.ts';
import type { ReadyMessage } from '../common/process/node-process.ts';

export interface LocalClusterOptions {
  /** The pack every node serves: a folder, or SDXL's base export with its refiner. */
  pack: PackLocation;
  /** @default '127.0.0.1' */
  host?: string;
  /** The coordinator's port. @default 0 (any free port) */
  port?: number;
  /** Each child's log lines (stderr). @default dropped */
  log?: (line: string) => void;
  /** Extra flags for the coordinator. */
  coordinatorArgs?: string[];
  /** How long a node may take to start. @default 60000 */
  startTimeoutMs?: number;
  /** A NATS URL: nodes register there and the coordinator discovers them (else a static node list). */
  nats?: string;
  /** Replicas of each base expert, or by expert name (1 for those not named). @default 1 */
  replicas?: number | Record<string, number>;
  /** Extra flags for every expert node (e.g. --executor simulated-gpu --latency-ms 5,1). */
  expertArgs?: string[];
  /** Start the SR nodes (a latent pack's decode node always starts). @default true */
  superResolution?: boolean;
  /** Node.js flags for every process (e.g. --cpu-prof --cpu-prof-dir=DIR, to profile), after RUNTIME_FLAGS. */
  nodeFlags?: string[];
  /** Node.js flags in place of RUNTIME_FLAGS ([] = V8's defaults, which the benchmarks compare). */
  runtimeFlags?: string[];
  /**
   * Restart a process that dies (not one `stop` stopped) on its own address, after 1, 2, 4 ... s;
   * one that dies 5 times within a minute stops the whole cluster instead. @default off
   */
  supervise?: Supervision;
}

export interface ClusterProcess extends ReadyMessage {
  pid: number;
  /** Stops this process (SIGTERM, then SIGKILL after `graceMs`); `signal` SIGKILL kills at once. */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<void>;
  /** Settles when the process has exited: how, and whether `stop` asked it to. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stopped: boolean }>;
}

/** What a supervised cluster reports (see LocalClusterOptions.supervise). */
export interface Supervision {
  /** A child died and is being restarted on its address. */
  onRestart(line: string): void;
  /** A child kept dying: the cluster stopped itself. */
  onGiveUp(line: string): void;
}

export interface LocalCluster {
  /** The coordinator's address. */
  address: string;
  coordinator: ClusterProcess;
  nodes: ClusterProcess[];
  stop(): Promise<void>;
}

const root = new URL('../', import.meta.url);
const script = (path: string) => fileURLToPath(new URL(path, root));
const TSX = import.meta.resolve('tsx');
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/** The deployables, by the entry point of each. */
export const DEPLOYABLES = {
  coordinator: 'coordinator/main.ts',
  'encoder-node': 'encoder-node/main.ts',
  'expert-node': 'expert-node/main.ts',
  'sr-node': 'sr-node/main.ts',
} as const;

type ProcessOptions = Pick<LocalClusterOptions, 'log' | 'startTimeoutMs' | 'nodeFlags' | 'runtimeFlags'>;

/** Starts one deployable as a child process and waits for its ready line. */
export function startNodeProcess(deployable: keyof typeof DEPLOYABLES, args: string[], o: ProcessOptions = {}): Promise<ClusterProcess> {
  return startReadyProcess(script(DEPLOYABLES[deployable]), args, o);
}

/**
 * Node.js flags every ediff process runs with (deploy/Dockerfile and `npm run bench` pass the
 * same). With V8's default initial old-generation size, a process moving thousands of 48 KiB
 * tensors a second runs a full mark-compact every ~50-100 ms, which costs about half its CPU; a
 * larger start ends most of them (bench/README.md, "Garbage collection").
 */
export const RUNTIME_FLAGS = ['--initial-old-space-size=128'];

/** Runs a TypeScript file (through tsx) and waits for the `{"event":"ready",...}` line on its stdout. */
export function startReadyProcess(path: string, args: string[], o: ProcessOptions = {}): Promise<ClusterProcess> {
  const child = spawn(process.execPath, [...(o.runtimeFlags ?? RUNTIME_FLAGS), ...(o.nodeFlags ?? []), '--import', TSX, path, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(child);
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stopped: boolean }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal, stopped })));
  const exited = exit.then(() => {});
  void exited.then(() => live.delete(child));
  const stderr: string[] = [];
  createInterface({ input: child.stderr! }).on('line', (line) => {
    stderr.push(line);
    if (stderr.length > 40) stderr.shift();
    o.log?.(line);
  });
  let stopped = false;
  const stop = async (signal: NodeJS.Signals = 'SIGTERM', graceMs = 5000) => {
    stopped = true;
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  };
  return new Promise((resolve, reject) => {
    const timeoutMs = o.startTimeoutMs ?? 60_000;
    const timer = setTimeout(() => {
      void stop('SIGKILL');
      reject(new Error(`${path} did not start within ${timeoutMs} ms:\n${stderr.join('\n')}`));
    }, timeoutMs);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${path} exited (${signal ?? `code ${code}`}) before it was ready:\n${stderr.join('\n')}`));
    });
    createInterface({ input: child.stdout! }).on('line', (line) => {
      let message: ReadyMessage;
      try {
        message = JSON.parse(line);
      } catch {
        return;
      }
      if (message.event !== 'ready') return;
      clearTimeout(timer);
      resolve({ ...message, pid: child.pid!, stop, exited: exit });
    });
  });
}

export async function startLocalCluster(o: LocalClusterOptions): Promise<LocalCluster> {
  const pack = loadPack(o.pack);
  const host = o.host ?? '127.0.0.1';
  const common = [...packFlags(pack.location), '--host', host, '--port', '0', '--metrics-port', '0', ...(o.nats ? ['--nats', o.nats] : [])];
  const replicasOf = (expert: string) => (typeof o.replicas === 'object' ? (o.replicas[expert] ?? 1) : (o.replicas ?? 1));
  const m = pack.manifest;
  const stages = [...(m.decode ? [m.decode.name] : []), ...(o.superResolution === false ? [] : m.super_resolution.map((s) => s.name))];
  const started: ClusterProcess[] = [];
  const launch = async (deployable: keyof typeof DEPLOYABLES, args: string[]) => {
    const p = await startNodeProcess(deployable, [...common, ...args], o);
    started.push(p);
    supervise(p, deployable, [...common, ...args]);
    return p;
  };
  const stopAll = () => Promise.all(started.map((p) => p.stop())).then(() => {});
  let stopping = false;
  /** Restarts `p` on its own port when it dies unexpectedly (o.supervise), and keeps watching. */
  const supervise = (p: ClusterProcess, deployable: keyof typeof DEPLOYABLES, args: string[], deaths: number[] = []) => {
    if (!o.supervise) return;
    void p.exited.then(async ({ code, signal, stopped }) => {
      if (stopped || stopping) return;
      const what = `${deployable} ${p.name} (${p.address}) exited (${signal ?? `code ${code}`})`;
      const now = Date.now();
      const recent = [...deaths.filter((t) => now - t < 60_000), now];
      if (recent.length >= 5) {
        o.supervise!.onGiveUp(`${what} ${recent.length} times within a minute: stopping the cluster`);
        stopping = true;
        await stopAll();
        return;
      }
      const delay = 1000 * 2 ** (recent.length - 1);
      o.supervise!.onRestart(`${what}: restarting it on ${p.address} in ${delay / 1000} s (restart ${recent.length} within a minute)`);
      await new Promise((r) => setTimeout(r, delay));
      if (stopping) return;
      const port = p.address.slice(p.address.lastIndexOf(':') + 1);
      const onPort = args.map((a, i) => (args[i - 1] === '--port' ? port : a));
      try {
        const next = await startNodeProcess(deployable, onPort, o);
        Object.assign(p, next);
        supervise(p, deployable, args, recent);
      } catch (error) {
        o.supervise!.onGiveUp(`${deployable} ${p.name} could not be restarted (${(error as Error).message.split('\n')[0]}): stopping the cluster`);
        stopping = true;
        await stopAll();
      }
    });
  };
  try {
    const [encoder, experts, sr] = await Promise.all([
      launch('encoder-node', []),
      Promise.all(pack.manifest.base.experts.flatMap((e) => Array.from({ length: replicasOf(e.name) }, () => launch('expert-node', ['--expert', e.name, ...(o.expertArgs ?? [])])))),
      Promise.all(stages.map((stage) => launch('sr-node', ['--stage', stage]))),
    ]);
    const coordinatorArgs = [
      ...packFlags(pack.location), '--host', host, '--port', String(o.port ?? 0), '--metrics-port', '0',
      ...(o.nats
        ? ['--nats', o.nats]
        : ['--encoder', encoder.address, ...experts.flatMap((e) => ['--expert', `${e.name}=${e.address}`]), ...sr.flatMap((s) => ['--sr', `${s.name}=${s.address}`])]),
      ...(o.coordinatorArgs ?? []),
    ];
    const coordinator = await startNodeProcess('coordinator', coordinatorArgs, o);
    started.push(coordinator);
    supervise(coordinator, 'coordinator', coordinatorArgs);
    const nodes = [encoder, ...experts, ...sr];
    return {
      address: coordinator.address,
      coordinator,
      nodes,
      // The coordinator first, so no job is routed to a node that is already gone.
      stop: async () => {
        stopping = true;
        await coordinator.stop();
        await Promise.all(nodes.map((n) => n.stop()));
      },
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
