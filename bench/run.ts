/**
 * `npm run bench`: the scale-out figures, each measured side by side in one run, all with a
 * 3x64x64 float32 tensor. Prints a table and writes bench/results.json. See bench/README.md.
 */
import { execFile } from 'node:child_process';
import { setMaxListeners } from 'node:events';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { ensureBuiltPack } from '../packs/cache.ts';
import { loadPack, type Pack } from '../common/pack/load.ts';
import { InProcessPipeline } from '../common/runtime/in-process.ts';
import { RemoteExpert } from '../coordinator/remote-expert.ts';
import { EdiffClient, type GenerateRequest } from '../sdk/client.ts';
import { RUNTIME_FLAGS, startLocalCluster, startNodeProcess, startReadyProcess, type LocalCluster, type LocalClusterOptions } from '../sdk/local-cluster.ts';
import { echoClient, echoStream, streamThroughput, TENSOR_BYTES } from './echo.ts';
import { exportsBench } from './exports.ts';
import { DEFAULT_REFINER_AT } from '../common/pack/ensemble.ts';
import { resolveRequest } from '../common/pipeline/request.ts';
import { sdxlExports } from '../test/helpers/exports.ts';

const ECHO = fileURLToPath(new URL('echo.ts', import.meta.url));
const execFileAsync = promisify(execFile);
/** The simulated GPU: a + b * rows milliseconds per batch (see bench/README.md). */
const SIMULATED_LATENCY = { a: 150, b: 2 };

const say = (line: string) => process.stderr.write(`${line}\n`);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const now = () => performance.now();

async function timed(n: number, once: () => Promise<unknown>): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = now();
    await once();
    times.push(now() - t0);
  }
  return times;
}

async function metricValue(address: string, name: string): Promise<number> {
  const text = await (await fetch(`http://${address}/metrics`)).text();
  return text
    .split('\n')
    .filter((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`))
    .reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
}

/** A metric summed over several processes (by their metrics addresses). */
async function metricSum(processes: { metrics: string }[], name: string): Promise<number> {
  return (await Promise.all(processes.map((p) => metricValue(p.metrics, name)))).reduce((a, b) => a + b, 0);
}

/** A cluster and a client for one benchmark; always stopped. */
async function withCluster<T>(o: LocalClusterOptions, work: (client: EdiffClient, cluster: LocalCluster) => Promise<T>): Promise<T> {
  const cluster = await startLocalCluster(o);
  const client = new EdiffClient(cluster.address);
  try {
    return await work(client, cluster);
  } finally {
    client.close();
    await cluster.stop();
  }
}

/**
 * A closed loop: `concurrency` workers submit jobs back to back for `seconds`. `done` settles when
 * the last job has completed; `completed` counts the jobs completed so far.
 */
function closedLoop(client: EdiffClient, concurrency: number, seconds: number, request: (i: number) => GenerateRequest) {
  const end = now() + seconds * 1000;
  const loop = { completed: 0, done: Promise.resolve() };
  let next = 0;
  loop.done = Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (now() < end) {
        await client.generateImage(request(next++));
        loop.completed++;
      }
    }),
  ).then(() => {});
  return loop;
}

/** Completed jobs per second of a closed loop over its whole run. */
async function jobsPerSecond(client: EdiffClient, concurrency: number, seconds: number, request: (i: number) => GenerateRequest): Promise<number> {
  const started = now();
  const loop = closedLoop(client, concurrency, seconds, request);
  await loop.done;
  return loop.completed / ((now() - started) / 1000);
}

/** The plain echo: a unary call's round trip. */
async function rawEcho() {
  const server = await startReadyProcess(ECHO, []);
  const client = echoClient(server.address);
  const data = Buffer.alloc(TENSOR_BYTES, 7);
  try {
    await timed(200, () => new Promise((resolve) => client.Unary({ id: 0, data }, resolve)));
    const unary = median(await timed(2000, () => new Promise((resolve) => client.Unary({ id: 0, data }, resolve))));
    return { raw_unary_echo_ms: unary };
  } finally {
    client.close();
    await server.stop();
  }
}

/**
 * The echo's throughput with V8's default heap sizing on both ends, against RUNTIME_FLAGS (what
 * every ediff process and this benchmark run with): the figures above use RUNTIME_FLAGS.
 */
async function heapFlags() {
  const throughput = async (runtimeFlags: string[]) => {
    const server = await startReadyProcess(ECHO, [], { runtimeFlags });
    try {
      const { stdout } = await execFileAsync(process.execPath, [...runtimeFlags, '--import', import.meta.resolve('tsx'), ECHO, '--load', server.address, '3']);
      return (JSON.parse(stdout) as { msgs_per_s: number }).msgs_per_s;
    } finally {
      await server.stop();
    }
  };
  const defaults = await throughput([]);
  const tuned = await throughput(RUNTIME_FLAGS);
  return { echo_default_heap_msgs_per_s: defaults, echo_runtime_flags_msgs_per_s: tuned };
}

/**
 * One evaluation coordinator -> expert node -> coordinator, through RemoteExpert, identity model;
 * and the plain echo stream's round trip (one message in flight), in alternating blocks so that
 * both see the same machine (its speed drifts from second to second).
 */
async function hop(pack: Pack) {
  const node = await startNodeProcess('expert-node', ['--pack', pack.dir, '--expert', 'low', '--executor', 'instant']);
  const echo = await startReadyProcess(ECHO, []);
  const expert = new RemoteExpert(pack.manifest.base.experts.find((e) => e.name === 'low')!, node.address);
  const client = echoClient(echo.address);
  const stream = echoStream(client);
  const call = { x: new Float32Array(TENSOR_BYTES / 4).fill(0.5), dims: [3, 64, 64], sigma: 0.5, branches: { cond: {}, uncond: {} }, guidance: 1 };
  const evaluate = () => expert.denoise(call);
  try {
    await timed(300, stream.send);
    await timed(300, evaluate);
    const echoMs: number[] = [];
    const hopMs: number[] = [];
    for (let block = 0; block < 10; block++) {
      echoMs.push(...(await timed(300, stream.send)));
      hopMs.push(...(await timed(300, evaluate)));
    }
    return { raw_stream_echo_ms: median(echoMs), hop_ms: median(hopMs) };
  } finally {
    stream.end();
    client.close();
    expert.close();
    await Promise.all([node.stop(), echo.stop()]);
  }
}

/**
 * One 25-step Heun job on the tiny-unet pack: on a local cluster / in process. The distributed
 * job's time is also split, from the expert nodes' metrics, into model calls, batcher waits and
 * the rest (the hops). And the floor any system on grpc-js streams has here: the plain echo's
 * round trip when each message follows a pause as long as an evaluation's model call (a process
 * that has slept that long wakes slower than a busy one), paid once per evaluation.
 */
async function endToEnd(pack: Pack) {
  const request = { prompt: 'a red circle on a blue background', sampler: 'heun', steps: 25, seed: 1 };
  const local = await InProcessPipeline.load(pack);
  const echo = await startReadyProcess(ECHO, []);
  const echoes = echoClient(echo.address);
  const stream = echoStream(echoes);
  try {
    // Interleaved, so that both see the same machine.
    return await withCluster({ pack: pack.dir }, async (client, cluster) => {
      await local.generate(request);
      await client.generateImage(request);
      const experts = cluster.nodes.filter((n) => n.role === 'expert-node');
      const split = async () => ({
        compute: await metricSum(experts, 'ediff_expert_compute_seconds_sum'),
        queue: await metricSum(experts, 'ediff_expert_queue_seconds_sum'),
        evaluations: await metricSum(experts, 'ediff_expert_queue_seconds_count'),
      });
      const inProcess: number[] = [];
      const distributed: number[] = [];
      const before = await split();
      for (let i = 0; i < 9; i++) {
        inProcess.push(...(await timed(1, () => local.generate(request))));
        distributed.push(...(await timed(1, () => client.generateImage(request))));
      }
      const after = await split();
      const perJob = (key: keyof typeof before) => (after[key] - before[key]) / distributed.length;
      const meanDistributed = distributed.reduce((a, b) => a + b, 0) / distributed.length;
      const evaluations = perJob('evaluations');
      const modelMs = (1000 * perJob('compute')) / evaluations;
      await timed(100, stream.send);
      const idleEchoMs: number[] = [];
      for (let i = 0; i < 200; i++) {
        await new Promise((resolve) => setTimeout(resolve, modelMs));
        idleEchoMs.push(...(await timed(1, stream.send)));
      }
      const idleEcho = median(idleEchoMs);
      // The machine's speed drifts from second to second: compare each pair, take the median.
      const ratios = distributed.map((d, i) => d / inProcess[i]!);
      return {
        e2e_in_process_ms: median(inProcess),
        e2e_distributed_ms: median(distributed),
        e2e_ratio: median(ratios),
        e2e_evaluations: evaluations,
        e2e_node_compute_ms: 1000 * perJob('compute'),
        e2e_node_queue_ms: 1000 * perJob('queue'),
        e2e_outside_model_ms_per_evaluation: (meanDistributed - 1000 * (perJob('compute') + perJob('queue'))) / evaluations,
        raw_stream_echo_after_pause_ms: idleEcho,
        e2e_echo_floor_ratio: (median(inProcess) + evaluations * idleEcho) / median(inProcess),
      };
    });
  } finally {
    stream.end();
    echoes.close();
    await Promise.all([local.release(), echo.stop()]);
  }
}

/**
 * Jobs/s with 32 concurrent 64x64 jobs on the reference pack, batching on and off: on simulated
 * GPUs (the figure), and on this CPU with the plain ONNX executor (for the record: a reference
 * evaluation costs under 1 ms of model time, so the transport dominates there).
 */
async function batching(pack: Pack) {
  const request = (i: number) => ({ prompt: ['a red circle', 'a green square', 'a blue triangle', 'a yellow circle'][i % 4]!, size: 64, seed: i, sampler: 'euler', steps: 10 });
  const run = (expertArgs: string[], seconds: number) =>
    withCluster({ pack: pack.dir, superResolution: false, expertArgs }, async (client) => {
      await client.generateImage(request(0));
      return jobsPerSecond(client, 32, seconds, request);
    });
  const simulated = ['--executor', 'simulated-gpu', '--latency-ms', `${SIMULATED_LATENCY.a},${SIMULATED_LATENCY.b}`];
  const on = await run(simulated, 15);
  const off = await run([...simulated, '--max-batch', '1'], 30);
  const cpuOn = await run([], 10);
  const cpuOff = await run(['--max-batch', '1'], 10);
  return {
    batching_on_jobs_per_s: on,
    batching_off_jobs_per_s: off,
    batching_speedup: on / off,
    batching_cpu_on_jobs_per_s: cpuOn,
    batching_cpu_off_jobs_per_s: cpuOff,
    batching_cpu_speedup: cpuOn / cpuOff,
  };
}

/**
 * Evaluations/s one coordinator routes for 64 concurrent jobs, against nodes that answer at once,
 * and the plain echo stream's round trips/s with 64 in flight (the transport's ceiling), measured
 * in alternating blocks so that both see the same machine (its speed drifts by 20-40% from
 * minute to minute here). The coordinator is measured in steady state: a fresh one's throughput
 * climbs over its first ~20000 evaluations (the JIT, V8's young generation growing), so three
 * rounds of 64 jobs warm it up first.
 */
async function coordinatorThroughput(pack: Pack) {
  const echo = await startReadyProcess(ECHO, []);
  const echoes = echoClient(echo.address);
  const stream = echoStream(echoes);
  try {
    return await withCluster({ pack: pack.dir, superResolution: false, expertArgs: ['--executor', 'instant'] }, async (client, cluster) => {
      const request = (i: number) => ({ prompt: 'a red circle', size: 64, seed: i, sampler: 'euler', steps: 100 });
      const round = () => Promise.all(Array.from({ length: 64 }, (_, i) => client.generateImage(request(i))));
      await timed(300, stream.send);
      for (let i = 0; i < 3; i++) await round();
      const echoRates: number[] = [];
      const coordinatorRates: number[] = [];
      for (let block = 0; block < 3; block++) {
        echoRates.push(await streamThroughput(stream.send, 2));
        const before = await metricValue(cluster.coordinator.metrics, 'ediff_routed_evaluations_total');
        const t0 = now();
        await round();
        const evaluations = (await metricValue(cluster.coordinator.metrics, 'ediff_routed_evaluations_total')) - before;
        coordinatorRates.push(evaluations / ((now() - t0) / 1000));
      }
      say(`  echo ${echoRates.map((r) => r.toFixed(0)).join(', ')} msgs/s; coordinator ${coordinatorRates.map((r) => r.toFixed(0)).join(', ')} evaluations/s`);
      const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
      return { raw_stream_msgs_per_s: mean(echoRates), coordinator_evals_per_s: mean(coordinatorRates), coordinator_jobs: 64 };
    });
  } finally {
    stream.end();
    echoes.close();
    await echo.stop();
  }
}

/** CPU seconds used so far by every process of a cluster (prom-client's process_cpu_seconds_total) and this one. */
async function cpuSeconds(cluster: LocalCluster): Promise<number> {
  const own = process.cpuUsage();
  return (await metricSum([cluster.coordinator, ...cluster.nodes], 'process_cpu_seconds_total')) + (own.user + own.system) / 1e6;
}

/**
 * Steady-state jobs/s of a closed loop: `concurrency` workers submit jobs back to back; after
 * `warmSeconds` (every replica has run its first batches, the JIT has settled), the evaluations
 * the coordinator routes in the next `seconds`, over the evaluations a job takes, and the CPU
 * seconds every process used meanwhile. Evaluations are counted rather than completed jobs: the
 * workers start together, so jobs complete in waves for a while, and a window catches a wave more
 * or less; evaluations flow evenly.
 */
async function steadyJobsPerSecond(client: EdiffClient, cluster: LocalCluster, concurrency: number, warmSeconds: number, seconds: number, request: (i: number) => GenerateRequest) {
  const routed = () => metricValue(cluster.coordinator.metrics, 'ediff_routed_evaluations_total');
  const evaluations0 = await routed();
  const loop = closedLoop(client, concurrency, warmSeconds + seconds, request);
  await new Promise((resolve) => setTimeout(resolve, warmSeconds * 1000));
  const [e0, cpu0, t0] = [await routed(), await cpuSeconds(cluster), now()];
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  const [e1, cpu1, t1] = [await routed(), await cpuSeconds(cluster), now()];
  await loop.done;
  const evaluationsPerJob = ((await routed()) - evaluations0) / loop.completed;
  const jobs = (e1 - e0) / evaluationsPerJob;
  return { jobsPerS: jobs / ((t1 - t0) / 1000), cpuMsPerJob: (1000 * (cpu1 - cpu0)) / jobs };
}

/**
 * Jobs/s with 8 simulated-GPU replicas of each expert, against 1, with enough concurrent jobs to
 * keep every replica's batches full, in steady state; and the CPU the whole run costs per job
 * (cluster and this client), which bounds jobs/s on this machine whatever the replica count.
 */
async function scaling(pack: Pack) {
  const simulated = ['--executor', 'simulated-gpu', '--latency-ms', `${SIMULATED_LATENCY.a},${SIMULATED_LATENCY.b}`];
  const request = (i: number) => ({ prompt: ['a red circle', 'a green square'][i % 2]!, size: 64, seed: i, sampler: 'euler', steps: 8 });
  const measure = (replicas: number, perReplica: number) =>
    withCluster({ pack: pack.dir, superResolution: false, replicas, expertArgs: simulated, startTimeoutMs: 180_000 }, async (client, cluster) => {
      await client.generateImage(request(0));
      return steadyJobsPerSecond(client, cluster, perReplica * replicas, 8, 15, request);
    });
  // 48 concurrent jobs per replica: 16 guided evaluations fill a 32-row batch on each expert.
  const one = await measure(1, 48);
  say(`  1 replica per expert: ${one.jobsPerS.toFixed(2)} jobs/s, ${one.cpuMsPerJob.toFixed(1)} ms of CPU per job`);
  const eight = await measure(8, 48);
  say(`  8 replicas per expert: ${eight.jobsPerS.toFixed(2)} jobs/s, ${eight.cpuMsPerJob.toFixed(1)} ms of CPU per job`);
  // 4 concurrent jobs per replica: small batches, but the 8-replica run stays within the cores.
  const lightOne = await measure(1, 4);
  const lightEight = await measure(8, 4);
  say(`  light load: ${lightOne.jobsPerS.toFixed(2)} / ${lightEight.jobsPerS.toFixed(2)} jobs/s with 1 / 8 replicas`);
  return {
    scaling_jobs_per_s_1: one.jobsPerS,
    scaling_jobs_per_s_8: eight.jobsPerS,
    scaling_efficiency: eight.jobsPerS / (8 * one.jobsPerS),
    scaling_cpu_ms_per_job: eight.cpuMsPerJob,
    scaling_cpu_bound_jobs_per_s: (os.cpus().length * 1000) / eight.cpuMsPerJob,
    scaling_light_jobs_per_s_1: lightOne.jobsPerS,
    scaling_light_jobs_per_s_8: lightEight.jobsPerS,
    scaling_light_efficiency: lightEight.jobsPerS / (8 * lightOne.jobsPerS),
  };
}

/**
 * SDXL's base and refiner on their own pools of simulated GPUs (tiny exports in SDXL's layout,
 * `--refiner-at 0.8`): jobs/s with base:refiner replicas 4:1, 3:2, 2:2 and 1:1, side by side, and
 * per replica, under both sigma schedules: Karras's (the default) and the export's diffusers
 * timesteps (80% of the steps on the base, as diffusers splits them). Which split wins follows
 * the share of evaluations each expert gets.
 */
async function refinerRatios() {
  const folders = sdxlExports();
  try {
    const location = { dir: folders.base, refiner: folders.refiner, refinerAt: DEFAULT_REFINER_AT };
    const pack = loadPack(location);
    const steps = 20;
    const boundary = pack.manifest.base.experts[0]!.sigma_lo;
    const simulated = ['--executor', 'simulated-gpu', '--latency-ms', `${SIMULATED_LATENCY.a},${SIMULATED_LATENCY.b}`];
    const out: Record<string, number> = {};
    for (const schedule of ['karras', 'timesteps'] as const) {
      const share = resolveRequest(pack.manifest, { prompt: '', steps, sigmaSchedule: schedule }).sigmas.slice(0, steps).filter((s) => s >= boundary).length / steps;
      say(`  ${schedule} sigmas, 20 Euler steps: ${(100 * share).toFixed(0)}% of the evaluations have sigma >= ${boundary.toFixed(4)} (the base's)`);
      out[`sdxl_${schedule}_base_evaluation_share`] = share;
      const request = (i: number) => ({ prompt: ['a photo of a cat', 'a lighthouse at dusk'][i % 2]!, width: 64, height: 64, seed: i, sampler: 'euler', steps, sigmaSchedule: schedule });
      for (const [b, r] of [[4, 1], [3, 2], [2, 2], [1, 1]] as const) {
        const result = await withCluster({ pack: location, replicas: { base: b, refiner: r }, expertArgs: simulated, startTimeoutMs: 180_000 }, async (client, cluster) => {
          await client.generateImage(request(0));
          return steadyJobsPerSecond(client, cluster, 16 * (b + r), 6, 12, request);
        });
        say(`    base:refiner ${b}:${r}: ${result.jobsPerS.toFixed(2)} jobs/s, ${(result.jobsPerS / (b + r)).toFixed(2)} per replica`);
        out[`sdxl_${schedule}_jobs_per_s_${b}_${r}`] = result.jobsPerS;
        out[`sdxl_${schedule}_jobs_per_s_per_replica_${b}_${r}`] = result.jobsPerS / (b + r);
      }
    }
    return out;
  } finally {
    folders.remove();
  }
}

/**
 * Coordinator memory per in-flight job: the growth of its resident memory from 32 to 256 long
 * jobs in flight (each step's largest figure over a few seconds). The growth from idle is kept
 * beside it: it also counts pages the process freed before the jobs came and reuses for them,
 * which moves with how much garbage start-up left (loading a pack, for one).
 */
async function memory(pack: Pack) {
  const simulated = ['--executor', 'simulated-gpu', '--latency-ms', `${SIMULATED_LATENCY.a},${SIMULATED_LATENCY.b}`];
  return withCluster({ pack: pack.dir, superResolution: false, expertArgs: simulated }, async (client, cluster) => {
    const [few, jobs] = [32, 256];
    const rss = () => metricValue(cluster.coordinator.metrics, 'process_resident_memory_bytes');
    const heap = () => metricValue(cluster.coordinator.metrics, 'nodejs_heap_size_used_bytes');
    await client.generateImage({ prompt: 'a red circle', size: 64, seed: 1, steps: 4, sampler: 'euler' });
    const idle = { rss: await rss(), heap: await heap() };
    const abort = new AbortController();
    setMaxListeners(jobs + 10, abort.signal);
    const running: Promise<unknown>[] = [];
    /** Starts jobs up to `count` in flight, waits for them all, and takes the largest figures over `samples` half seconds. */
    const peakWith = async (count: number, samples: number) => {
      for (let i = running.length; i < count; i++) running.push(client.generateImage({ prompt: `a red circle ${i}`, size: 64, seed: i, steps: 1000 }, { signal: abort.signal }).catch(() => {}));
      while ((await metricValue(cluster.coordinator.metrics, 'ediff_jobs_in_flight')) < count) await new Promise((r) => setTimeout(r, 200));
      let peak = { rss: 0, heap: 0 };
      for (let i = 0; i < samples; i++) {
        await new Promise((r) => setTimeout(r, 500));
        peak = { rss: Math.max(peak.rss, await rss()), heap: Math.max(peak.heap, await heap()) };
      }
      return peak;
    };
    const some = await peakWith(few, 6);
    const peak = await peakWith(jobs, 10);
    abort.abort();
    await Promise.all(running);
    const mb = 1024 * 1024;
    return {
      coordinator_mb_per_job: (peak.rss - some.rss) / mb / (jobs - few),
      coordinator_mb_per_job_from_idle: (peak.rss - idle.rss) / mb / jobs,
      coordinator_heap_mb_per_job: (peak.heap - some.heap) / mb / (jobs - few),
      coordinator_idle_rss_mb: idle.rss / mb,
      coordinator_peak_rss_mb: peak.rss / mb,
    };
  });
}

const TARGETS: Record<string, (r: Record<string, number>) => [boolean, string]> = {
  hop_ms: (r) => [r.hop_ms! <= 1.5 * r.raw_stream_echo_ms!, `<= 1.5 x raw_stream_echo_ms (${(1.5 * r.raw_stream_echo_ms!).toFixed(3)})`],
  coordinator_evals_per_s: (r) => [r.coordinator_evals_per_s! >= 0.7 * r.raw_stream_msgs_per_s!, `>= 0.7 x raw_stream_msgs_per_s (${(0.7 * r.raw_stream_msgs_per_s!).toFixed(0)})`],
  e2e_ratio: (r) => [r.e2e_ratio! <= 1.05, `<= 1.05 (the plain echo alone: ${r.e2e_echo_floor_ratio!.toFixed(3)}; bench/README.md)`],
  batching_speedup: (r) => [r.batching_speedup! >= 3, '>= 3'],
  scaling_efficiency: (r) => [r.scaling_efficiency! >= 0.9, '>= 0.9'],
  coordinator_mb_per_job: (r) => [r.coordinator_mb_per_job! <= 1, '<= 1'],
};

const only = process.argv.slice(2);
const reference = loadPack(ensureBuiltPack('reference'));
const tiny = loadPack(ensureBuiltPack('tiny-unet'));
const steps: [string, () => Promise<Record<string, number>>][] = [
  ['raw echo', rawEcho],
  ['heap flags', heapFlags],
  ['hop', () => hop(reference)],
  ['end to end', () => endToEnd(tiny)],
  ['batching', () => batching(reference)],
  ['coordinator throughput', () => coordinatorThroughput(reference)],
  ['scaling', () => scaling(reference)],
  ['memory', () => memory(reference)],
  ['exports', exportsBench],
  ['sdxl refiner ratios', refinerRatios],
];
const results: Record<string, number> = {};
const started = now();
for (const [name, step] of steps) {
  if (only.length > 0 && !only.includes(name.split(' ')[0]!)) continue;
  say(`bench: ${name}...`);
  const t0 = now();
  Object.assign(results, await step());
  say(`  done in ${((now() - t0) / 1000).toFixed(1)} s`);
}
const rows = Object.entries(results).map(([name, value]) => {
  const target = TARGETS[name]?.(results);
  return { name, value, target: target ? `${target[1]} ${target[0] ? 'met' : 'MISSED'}` : '' };
});
console.log(`\n${'figure'.padEnd(34)} ${'value'.padStart(12)}  target`);
for (const r of rows) console.log(`${r.name.padEnd(34)} ${r.value.toFixed(r.value >= 100 ? 0 : 3).padStart(12)}  ${r.target}`);
const out = {
  ...results,
  meta: {
    date: new Date().toISOString(),
    seconds: (now() - started) / 1000,
    cpus: os.cpus().length,
    cpu: os.cpus()[0]?.model,
    node: process.version,
    tensor_bytes: TENSOR_BYTES,
    simulated_latency_ms: SIMULATED_LATENCY,
    targets: Object.fromEntries(Object.keys(TARGETS).filter((k) => k in results).map((k) => [k, { target: TARGETS[k]!(results)[1], met: TARGETS[k]!(results)[0] }])),
  },
};
if (only.length === 0) writeFileSync(new URL('results.json', import.meta.url), JSON.stringify(out, null, 2) + '\n');
else console.log(JSON.stringify(out.meta.targets));
process.exit(0);
