/**
 * `npm run chaos`: durable jobs under failure, overload and hostile input, with figures
 * (bench/chaos.json; see bench/README.md, "Chaos").
 *
 * 1. Chaos: NATS, two coordinators, two replicas of every expert of the reference pack (the
 *    cluster supervised, as `ediff cluster up` runs it), closed-loop clients; every few seconds a
 *    random expert replica is killed (-9, then restarted by the supervisor), and halfway one
 *    coordinator is killed (-9, not restarted). Clients fail over to the other coordinator (the
 *    same client job id, so a retried submission is the same job) and resume their watch there.
 *    Counted: jobs accepted, completed, failed, lost (accepted and not completed: must be 0),
 *    resumed from a checkpoint (after a coordinator's death, or back from the queue after every
 *    replica of an expert was down at once); latency p50/p99; a sample of results byte-compared with
 *    undisturbed runs of the same requests.
 * 2. Overload: ten times what the queue holds (waiting and running) submitted at once:
 *    refused cleanly (RESOURCE_EXHAUSTED with a retry hint), its memory (RSS) sampled, the
 *    accepted jobs' latency.
 * 3. Fuzz: 1,000 requests of mutated protobuf bytes and hostile values to SubmitJob, Generate and
 *    GetJob: every answer must be a clean status (not UNKNOWN, INTERNAL or a dropped
 *    connection), and every server must still be alive and serving after.
 *
 *   npm run chaos [-- --seconds 60 --clients 6 --fuzz 1000]
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { parseArgs } from 'node:util';
import * as grpc from '@grpc/grpc-js';
import { ensureBuiltPack } from '../packs/cache.ts';
import { loadPack, packFlags } from '../common/pack/load.ts';
import { generateRequestToWire } from '../common/grpc/generate-request.ts';
import { encodeMessage } from '../common/grpc/messages.ts';
import { CHANNEL_OPTIONS } from '../common/grpc/proto.ts';
import { statusName } from '../common/grpc/status.ts';
import { checkHealth } from '../coordinator/health.ts';
import { EdiffClient, EdiffError, type GenerateRequest, type JobEvent } from '../sdk/client.ts';
import { startLocalCluster, startNodeProcess, type ClusterProcess } from '../sdk/local-cluster.ts';
import { startNatsServer } from '../test/helpers/nats.ts';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '60' }, clients: { type: 'string', default: '6' }, fuzz: { type: 'string', default: '1000' } } });
const SECONDS = Number(values.seconds);
const CLIENTS = Number(values.clients);
const FUZZ = Number(values.fuzz);
/** Per coordinator: jobs run at once; per priority, jobs the queue holds (waiting or running). */
const MAX_RUNNING = 4;
const MAX_QUEUED = 24;
const KILL_EVERY_MS = 4000;
const PROMPTS = ['a red circle on a blue background', 'a green square on the right on a white background', 'a yellow triangle', 'a blue circle on the left'];

const say = (line: string) => process.stderr.write(`${line}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const now = () => performance.now();
const percentile = (xs: number[], p: number) => (xs.length ? [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]! : NaN);
const seconds = (ms: number) => Math.round(ms) / 1000;
const rssMb = (pid: number) => Number(execFileSync('ps', ['-o', 'rss=', '-p', String(pid)]).toString().trim()) / 1024;
const codeOf = (error: unknown) => (error instanceof EdiffError ? error.codeName : (error as Error).message);
const isResumed = (events: JobEvent[]) => events.some((e) => e.type === 'state' && e.state === 'running' && /resumed/.test(e.message));

const nats = await startNatsServer();
const pack = ensureBuiltPack('reference', undefined, () => say('building the reference pack...'));
const flags = ['--ack-wait-s', '3', '--checkpoint-every', '5', '--max-running', String(MAX_RUNNING), '--max-queued', String(MAX_QUEUED)];
const restarts: string[] = [];
let gaveUp = '';
say(`starting NATS, 2 coordinators and 2 replicas of every expert (reference pack) ...`);
const cluster = await startLocalCluster({ pack, nats: nats.url, replicas: 2, superResolution: false, coordinatorArgs: flags, startTimeoutMs: 180_000, supervise: { onRestart: (l) => restarts.push(l), onGiveUp: (l) => (gaveUp = l) } });
const second = await startNodeProcess('coordinator', [...packFlags(loadPack(pack).location), '--host', '127.0.0.1', '--port', '0', '--metrics-port', '0', '--nats', nats.url, ...flags]);
const coordinators: { process: ClusterProcess; client: EdiffClient; dead: boolean }[] = [cluster.coordinator, second].map((p) => ({ process: p, client: new EdiffClient(p.address, { callTimeoutMs: 5000 }), dead: false }));

try {
  const chaos = await chaosRun();
  const overload = await overloadRun();
  const fuzz = await fuzzRun();
  const report = { machine: { cpus: os.availableParallelism(), node: process.version }, chaos, overload, fuzz };
  writeFileSync(new URL('chaos.json', import.meta.url), `${JSON.stringify(report, null, 2)}\n`);
  say(JSON.stringify(report, null, 2));
  say(`wrote bench/chaos.json`);
  if (chaos.lost > 0 || fuzz.unclean > 0 || !fuzz.allAlive || chaos.byteMismatches > 0) process.exitCode = 1;
} finally {
  for (const c of coordinators) c.client.close();
  await second.stop('SIGKILL').catch(() => {});
  await cluster.stop();
  await nats.stop();
}

/** The coordinators in turn, from `start`, skipping those killed. */
function pick(start: number): EdiffClient {
  const live = coordinators.filter((c) => !c.dead);
  return live[start % live.length]!.client;
}

async function chaosRun() {
  const latencies: number[] = [];
  const results: { request: GenerateRequest; png: Buffer; resumed: boolean }[] = [];
  const failures: string[] = [];
  let accepted = 0;
  let refused = 0;
  let resumed = 0;
  /** Jobs that went back to the queue after a node failure (every replica of an expert down). */
  let requeued = 0;
  let next = 0;
  let running = true;
  const deadline = now() + SECONDS * 1000;

  /** One job, start to end, across coordinator failures: returns false if it did not complete. */
  async function oneJob(n: number): Promise<void> {
    const request: GenerateRequest = { prompt: PROMPTS[n % PROMPTS.length]!, seed: 1000 + n, steps: 24, size: 64, progress: 'none' };
    const clientJobId = `chaos-${n}`;
    const started = now();
    let id = '';
    for (let attempt = 0; !id; attempt++) {
      try {
        id = (await pick(n + attempt).submit(request, { clientJobId })).id;
      } catch (error) {
        if (error instanceof EdiffError && error.codeName === 'RESOURCE_EXHAUSTED') await sleep(1000 * (error.retryAfterSeconds ?? 1));
        else if (attempt > 20) {
          refused++;
          failures.push(`submit: ${codeOf(error)}`);
          return;
        } else await sleep(200);
      }
    }
    accepted++;
    const events: JobEvent[] = [];
    for (let attempt = 0; ; attempt++) {
      try {
        for await (const e of pick(n + attempt).watch(id, { after: events.at(-1)?.seq ?? 0, reconnects: 2 })) events.push(e);
        break;
      } catch (error) {
        if (attempt > 60) {
          failures.push(`watch ${id}: ${codeOf(error)}`);
          return;
        }
        await sleep(500);
      }
    }
    const last = events.at(-1);
    if (last?.type !== 'result') {
      failures.push(`job ${id}: ended ${last?.type === 'state' ? `${last.state}: ${last.message}` : 'without a result'}`);
      return;
    }
    latencies.push(now() - started);
    if (events.some((e) => e.type === 'state' && e.state === 'queued' && e.seq > 1)) requeued++;
    const wasResumed = isResumed(events);
    if (wasResumed) resumed++;
    results.push({ request, png: last.png, resumed: wasResumed });
  }

  const killer = (async () => {
    const experts = cluster.nodes.filter((p) => p.role === 'expert-node');
    const recent: ClusterProcess[] = [];
    let coordinatorKilled = false;
    const kills = { replicas: 0, coordinator: '' };
    while (running) {
      await sleep(KILL_EVERY_MS);
      if (!running) break;
      // A replica not among the last few killed (the supervisor gives up on one that dies 5 times a minute).
      const candidates = experts.filter((p) => !recent.includes(p));
      const victim = candidates[Math.floor(Math.random() * candidates.length)]!;
      try {
        process.kill(victim.pid, 'SIGKILL');
        kills.replicas++;
      } catch {}
      recent.push(victim);
      if (recent.length > 3) recent.shift();
      if (!coordinatorKilled && now() > deadline - (SECONDS * 1000) / 2) {
        coordinatorKilled = true;
        coordinators[1]!.dead = true;
        await second.stop('SIGKILL');
        kills.coordinator = second.address;
        say(`killed coordinator ${second.address} (-9)`);
      }
    }
    return kills;
  })();

  say(`chaos: ${CLIENTS} closed-loop clients for ${SECONDS} s, an expert replica killed every ${KILL_EVERY_MS / 1000} s ...`);
  const clientsDone = Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      while (now() < deadline) await oneJob(next++);
    }),
  );
  const progress = setInterval(() => say(`  ${accepted} accepted, ${latencies.length} completed, ${resumed} resumed, ${failures.length} failed, ${restarts.length} restarts`), 10_000);
  await clientsDone;
  running = false;
  const kills = await killer;
  clearInterval(progress);

  // A sample, resumed jobs first, run again undisturbed (Generate on the live coordinator).
  await sleep(3000);
  const sample = [...results.filter((r) => r.resumed), ...results.filter((r) => !r.resumed)].slice(0, 12);
  let mismatches = 0;
  for (const r of sample) {
    const again = await pick(0).generateImage(r.request);
    if (!again.png.equals(r.png)) mismatches++;
  }
  return {
    seconds: SECONDS,
    clients: CLIENTS,
    request: 'reference pack, 64x64, 24 steps, default sampler',
    coordinators: 2,
    replicasPerExpert: 2,
    replicasKilled: kills.replicas,
    coordinatorKilled: kills.coordinator,
    supervisorRestarts: restarts.length,
    supervisorGaveUp: gaveUp,
    accepted,
    refusedAfterRetries: refused,
    completed: latencies.length,
    failed: failures.length,
    failures: failures.slice(0, 10),
    lost: accepted - latencies.length,
    resumedFromCheckpoint: resumed,
    requeuedAfterNodeFailure: requeued,
    latencySeconds: { p50: seconds(percentile(latencies, 50)), p99: seconds(percentile(latencies, 99)), max: seconds(Math.max(...latencies)) },
    byteCompared: sample.length,
    byteComparedResumed: sample.filter((r) => r.resumed).length,
    byteMismatches: mismatches,
  };
}

async function overloadRun() {
  const live = coordinators.find((c) => !c.dead)!;
  // With NATS the queue holds MAX_QUEUED jobs waiting or running (the work-queue stream's limit).
  const capacity = MAX_QUEUED;
  const offered = 10 * capacity;
  say(`overload: ${offered} jobs (10x the ${capacity} the queue holds) submitted at once ...`);
  const rss = [rssMb(live.process.pid)];
  const sampler = setInterval(() => rss.push(rssMb(live.process.pid)), 250);
  const codes = new Map<string, number>();
  const hints: number[] = [];
  const started = now();
  const submitted = await Promise.all(
    Array.from({ length: offered }, async (_, n) => {
      try {
        const { id } = await live.client.submit({ prompt: PROMPTS[n % PROMPTS.length]!, seed: 50_000 + n, steps: 24, size: 64, progress: 'none' });
        return id;
      } catch (error) {
        const code = codeOf(error);
        codes.set(code, (codes.get(code) ?? 0) + 1);
        if (error instanceof EdiffError && error.retryAfterSeconds) hints.push(error.retryAfterSeconds);
        return null;
      }
    }),
  );
  const admitted = submitted.filter((id): id is string => id !== null);
  const latencies = await Promise.all(
    admitted.map(async (id) => {
      for await (const _ of live.client.watch(id)) {
      }
      return now() - started;
    }),
  );
  clearInterval(sampler);
  rss.push(rssMb(live.process.pid));
  return {
    offered,
    capacity,
    accepted: admitted.length,
    refused: Object.fromEntries(codes),
    retryHintSeconds: { min: Math.min(...hints), max: Math.max(...hints) },
    coordinatorRssMb: { before: Math.round(rss[0]!), peak: Math.round(Math.max(...rss)), after: Math.round(rss.at(-1)!) },
    acceptedLatencySeconds: { p50: seconds(percentile(latencies, 50)), p99: seconds(percentile(latencies, 99)), max: seconds(Math.max(...latencies)) },
  };
}

/** Hostile but well-formed requests: each field at or past its limit, wrong types of values. */
function hostileRequests(): GenerateRequest[] {
  const base: GenerateRequest = { prompt: 'a red circle', seed: 1, steps: 2, size: 64 };
  const junk = (n: number) => Uint8Array.from({ length: n }, () => Math.floor(Math.random() * 256));
  return [
    { ...base, steps: 1e9 },
    { ...base, steps: -1 },
    { ...base, size: 1 << 30 },
    { ...base, size: 63 },
    { ...base, width: 1e6, height: 3 },
    { ...base, guidance: NaN },
    { ...base, guidance: Infinity },
    { ...base, seed: 2 ** 40 },
    { ...base, prompt: 'x'.repeat(1 << 20) },
    { ...base, negativePrompt: '\u0000'.repeat(10_000) },
    { ...base, sampler: 'warp-drive' },
    { ...base, priority: 'urgent' as never },
    { ...base, sigmaSchedule: 'cosine' as never },
    { ...base, expertGuidance: { nobody: 3 } },
    { ...base, promptSwitch: { prompt: 'b', atFraction: 2 } },
    { ...base, style: junk(1000) },
    { ...base, paint: [{ phrase: 'circle', mask: junk(500) }] },
    { ...base, paint: Array.from({ length: 5000 }, () => ({ phrase: 'circle', mask: new Uint8Array() })) },
    { ...base, paint: [{ phrase: '', mask: new Uint8Array() }] },
    { ...base, noise: { dims: [3, 64, 64], data: new Float32Array(3 * 64 * 64).fill(NaN) } },
    { ...base, noise: { dims: [1, 1], data: new Float32Array(1) } },
    { ...base, previewEvery: 1e9 },
    { ...base, paintWeight: -1e30 },
    { ...base, aestheticScore: NaN },
  ];
}

/** `bytes` with a few random edits: flipped bytes, a cut, random bytes spliced in. */
function mutate(bytes: Uint8Array): Uint8Array {
  const out = Array.from(bytes);
  const edits = 1 + Math.floor(Math.random() * 4);
  for (let i = 0; i < edits; i++) {
    const at = Math.floor(Math.random() * Math.max(1, out.length));
    const kind = Math.random();
    if (kind < 0.5) out[at] = Math.floor(Math.random() * 256);
    else if (kind < 0.7) out.length = at;
    else out.splice(at, 0, ...Array.from({ length: 1 + Math.floor(Math.random() * 8) }, () => Math.floor(Math.random() * 256)));
  }
  return Uint8Array.from(out);
}

async function fuzzRun() {
  const live = coordinators.find((c) => !c.dead)!;
  const raw = Buffer.from as (b: Uint8Array) => Buffer;
  const passthrough = { requestSerialize: (b: Buffer) => b, requestDeserialize: (b: Buffer) => b, responseSerialize: (b: Buffer) => b, responseDeserialize: (b: Buffer) => b };
  const Raw = grpc.makeGenericClientConstructor(
    {
      SubmitJob: { path: '/ediff.v1.Coordinator/SubmitJob', requestStream: false, responseStream: false, ...passthrough },
      GetJob: { path: '/ediff.v1.Coordinator/GetJob', requestStream: false, responseStream: false, ...passthrough },
      Generate: { path: '/ediff.v1.Coordinator/Generate', requestStream: false, responseStream: true, ...passthrough },
    },
    'Coordinator',
  );
  const client = new Raw(live.process.address, grpc.credentials.createInsecure(), CHANNEL_OPTIONS) as unknown as {
    SubmitJob: (b: Buffer, o: grpc.CallOptions, cb: (e: grpc.ServiceError | null) => void) => void;
    GetJob: (b: Buffer, o: grpc.CallOptions, cb: (e: grpc.ServiceError | null) => void) => void;
    Generate: (b: Buffer, o: grpc.CallOptions) => grpc.ClientReadableStream<Buffer>;
    close(): void;
  };
  const valid = { prompt: 'a red circle', seed: 1, steps: 2, size: 64, progress: 'none' as const };
  const hostile = hostileRequests();
  const codes = new Map<string, number>();
  const examples = new Map<string, string>();
  const unclean: string[] = [];
  say(`fuzz: ${FUZZ} mutated and hostile requests ...`);
  const deadline = () => ({ deadline: Date.now() + 30_000 });
  const one = async (n: number): Promise<void> => {
    const request = n % 4 === 0 ? hostile[(n / 4) % hostile.length]! : valid;
    const generateBytes = encodeMessage('GenerateRequest', generateRequestToWire(request));
    const mutated = n % 4 === 0 ? (bytes: Uint8Array) => bytes : mutate;
    const method = ['SubmitJob', 'Generate', 'GetJob'][n % 3]!;
    const answer = await new Promise<{ code: number; details: string }>((resolve) => {
      const settle = (e: grpc.ServiceError | null) => resolve({ code: e?.code ?? 0, details: e?.details ?? '' });
      if (method === 'SubmitJob') client.SubmitJob(raw(mutated(encodeMessage('SubmitJobRequest', { request: generateRequestToWire(request), clientJobId: `fuzz-${n}` }))), deadline(), settle);
      else if (method === 'GetJob') client.GetJob(raw(mutated(Buffer.from(`\n$${'x'.repeat(36)}`))), deadline(), settle);
      else {
        const call = client.Generate(raw(mutated(generateBytes)), deadline());
        call.on('data', () => {});
        call.on('error', settle);
        call.on('end', () => settle(null));
      }
    });
    const name = statusName(answer.code);
    codes.set(name, (codes.get(name) ?? 0) + 1);
    if (!examples.has(name)) examples.set(name, answer.details.slice(0, 200));
    // UNAVAILABLE is clean when it names what is missing (an SR stage this cluster does not run), not a dropped connection.
    const transport = answer.code === grpc.status.UNAVAILABLE && /connection|socket|ECONN/i.test(answer.details);
    if (answer.code === grpc.status.UNKNOWN || answer.code === grpc.status.INTERNAL || transport || (answer.code !== 0 && !answer.details)) unclean.push(`${method} #${n}: ${name}: ${answer.details.slice(0, 120)}`);
  };
  let next = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < FUZZ) await one(next++);
    }),
  );
  client.close();
  const processes = [...cluster.nodes, live.process];
  const health = await Promise.all(processes.map((p) => checkHealth(p.address, 2000)));
  const generated = await live.client.generateImage(valid).then(
    () => true,
    () => false,
  );
  return {
    requests: FUZZ,
    answers: Object.fromEntries([...codes].sort((a, b) => b[1] - a[1])),
    exampleDetails: Object.fromEntries(examples),
    unclean: unclean.length,
    uncleanExamples: unclean.slice(0, 10),
    serversServing: `${health.filter((h) => h === 'SERVING').length} of ${processes.length}`,
    allAlive: health.every((h) => h === 'SERVING') && generated,
  };
}
