import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ensureBuiltPack } from '../../packs/cache.ts';
import { loadPack, type Pack } from '../../common/pack/load.ts';
import { InProcessPipeline } from '../../common/runtime/in-process.ts';
import { EdiffClient, type GenerateEvent, type GenerateRequest } from '../../sdk/client.ts';
import { startLocalCluster, startNodeProcess, type ClusterProcess, type LocalCluster } from '../../sdk/local-cluster.ts';
import { metricSum } from '../helpers/cluster.ts';
import { startNatsServer, type NatsServer } from '../helpers/nats.ts';
import { tempDir } from '../helpers/reference.ts';

const cache = tempDir('scale-out');
let pack: Pack;
let nats: NatsServer;
let cluster: LocalCluster;
let client: EdiffClient;
let local: InProcessPipeline;
const coordinatorLog: string[] = [];
const extra: ClusterProcess[] = [];

before(async () => {
  pack = loadPack(ensureBuiltPack('reference', cache.dir));
  nats = await startNatsServer();
  // A simulated GPU (10 ms + 0.2 ms per row, after the real model) so that concurrent jobs'
  // evaluations meet in batches as they would on a GPU, whatever the load of this machine.
  cluster = await startLocalCluster({
    pack: pack.dir,
    nats: nats.url,
    replicas: 2,
    superResolution: false,
    expertArgs: ['--executor', 'simulated-gpu', '--latency-ms', '10,0.2'],
    log: (line) => line.includes('coordinator:') && coordinatorLog.push(line),
  });
  client = new EdiffClient(cluster.address);
  local = await InProcessPipeline.load(pack);
});
after(async () => {
  client?.close();
  await local?.release();
  await Promise.all(extra.map((p) => p.stop()));
  await cluster?.stop();
  await nats?.stop();
  cache.remove();
});

const replicasOf = async (name: string) => (await client.clusterStatus()).nodes.filter((n) => n.name === name).map((n) => n.address).sort();

async function until(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<number> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > timeoutMs) assert.fail(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return Date.now() - started;
}

const job = (seed: number): GenerateRequest => ({ prompt: ['a red circle', 'a green square on a white background', 'a blue triangle', 'a yellow circle'][seed % 4]!, size: 64, seed, steps: 15 });

test('the coordinator discovers every node through NATS', async () => {
  for (const name of ['high', 'middle', 'low']) assert.equal((await replicasOf(name)).length, 2, name);
  assert.equal((await replicasOf('encoder')).length, 1);
  const result = await client.generateImage(job(1));
  assert.deepEqual(result.image.data, (await local.generate(job(1))).image.data);
});

test('kill -9 of an expert replica in the middle of a running job leaves the job complete with the same image', async () => {
  const request = { prompt: 'a blue square on a yellow background', size: 64, seed: 12, steps: 60, sampler: 'heun' };
  const retriesBefore = await metricSum(cluster.coordinator.metrics, 'ediff_retries_total', { name: 'middle' });
  let killed: string | null = null;
  let result: Extract<GenerateEvent, { type: 'result' }> | null = null;
  const servedBy = new Map<string, Set<string>>();
  for await (const e of client.generate(request)) {
    if (e.type === 'evaluation') {
      if (!servedBy.has(e.expert)) servedBy.set(e.expert, new Set());
      servedBy.get(e.expert)!.add(e.replica);
      if (!killed && e.expert === 'middle') {
        // Kill the replica that is serving this job's middle-noise evaluations right now.
        killed = e.replica;
        await cluster.nodes.find((n) => n.address === killed)!.stop('SIGKILL');
      }
    }
    if (e.type === 'result') result = e;
  }
  assert.ok(killed, 'a middle replica was killed mid-job');
  assert.ok(servedBy.get('middle')!.size === 2, 'the other middle replica took over');
  assert.deepEqual(result!.image.data, (await local.generate(request)).image.data, 'the same image as an undisturbed run');
  assert.ok((await metricSum(cluster.coordinator.metrics, 'ediff_retries_total', { name: 'middle' })) > retriesBefore, 'the lost evaluation was retried on the other replica');
  await until('the killed replica is dropped when its heartbeat lapses', async () => (await replicasOf('middle')).length === 1, 6000);
});

test('two replicas of one expert both receive work under load, and batching gives the same images as one process', async () => {
  const requests = Array.from({ length: 8 }, (_, i) => job(20 + i));
  const replicas = new Set<string>();
  const results = await Promise.all(
    requests.map((r) =>
      client.generateImage(r, {
        onEvent: (e) => {
          if (e.type === 'evaluation' && e.expert === 'low') replicas.add(e.replica);
        },
      }),
    ),
  );
  assert.equal(replicas.size, 2, `both low replicas took work: ${[...replicas]}`);
  // The status sums what every job thread of the coordinator sent each replica.
  const lows = (await client.clusterStatus()).nodes.filter((n) => n.name === 'low');
  assert.ok(lows.length === 2 && lows.every((n) => n.completed > 0), `completed evaluations per low replica: ${lows.map((n) => n.completed)}`);
  for (const [i, r] of requests.entries()) assert.deepEqual(results[i]!.image.data, (await local.generate(r)).image.data, r.prompt);
  // Evaluations of different jobs shared model calls: more rows per batch than one guided evaluation has.
  const experts = cluster.nodes.filter((n) => n.role === 'expert-node' && n.name === 'low');
  const total = async (metric: string, labels = {}) => (await Promise.all(experts.map((n) => metricSum(n.metrics, metric, labels)))).reduce((a, b) => a + b, 0);
  const single = await total('ediff_expert_batch_size_bucket', { le: '1' });
  const batches = await total('ediff_expert_batch_size_count');
  assert.ok(single < batches, `${batches - single} of ${batches} batches held evaluations of several jobs`);
});

test('batching off (--max-batch 1) gives the same images as batching on', async () => {
  const unbatched = await startLocalCluster({ pack: pack.dir, superResolution: false, expertArgs: ['--max-batch', '1'] });
  const other = new EdiffClient(unbatched.address);
  try {
    const requests = Array.from({ length: 6 }, (_, i) => job(40 + i));
    const [on, off] = await Promise.all([Promise.all(requests.map((r) => client.generateImage(r))), Promise.all(requests.map((r) => other.generateImage(r)))]);
    for (const [i, r] of on.entries()) assert.ok(r.png.equals(off[i]!.png), requests[i]!.prompt);
    for (const n of unbatched.nodes.filter((p) => p.role === 'expert-node')) {
      const rows = await metricSum(n.metrics, 'ediff_expert_batch_size_sum');
      const batches = await metricSum(n.metrics, 'ediff_expert_batch_size_count');
      assert.ok(batches > 0 && rows / batches <= 2, `${n.name}: one evaluation per batch`);
    }
  } finally {
    other.close();
    await unbatched.stop();
  }
});

test('nodes join and leave a running cluster while jobs keep completing', async () => {
  const before = await replicasOf('high');
  const joining = await startNodeProcess('expert-node', ['--pack', pack.dir, '--expert', 'high', '--nats', nats.url]);
  extra.push(joining);
  const joinMs = await until('a started node joins the pool', async () => (await replicasOf('high')).includes(joining.address), 3000);
  assert.ok(joinMs < 2500, `joined in ${joinMs} ms`);
  const jobs = Promise.all([1, 2, 3, 4].map((i) => client.generateImage(job(60 + i))));
  await joining.stop('SIGTERM');
  const leaveMs = await until('a cleanly stopped node leaves at once', async () => !(await replicasOf('high')).includes(joining.address), 2000);
  assert.ok(leaveMs < 1000, `left in ${leaveMs} ms`);
  await jobs;
  const victim = cluster.nodes.find((n) => n.name === 'high' && before.includes(n.address))!;
  const during = Promise.all([5, 6, 7, 8].map((i) => client.generateImage(job(60 + i))));
  await victim.stop('SIGKILL');
  const dropMs = await until('a dead node is dropped when its heartbeat lapses', async () => !(await replicasOf('high')).includes(victim.address), 6000);
  assert.ok(dropMs > 1000, `dropped after ${dropMs} ms, by the heartbeat lapse`);
  for (const [i, r] of (await during).entries()) assert.deepEqual(r.image.data, (await local.generate(job(65 + i))).image.data);
});

test('a node serving another pack is refused with a logged reason', async () => {
  const otherPack = ensureBuiltPack('tiny-unet', cache.dir);
  const stranger = await startNodeProcess('expert-node', ['--pack', otherPack, '--expert', 'low', '--nats', nats.url]);
  extra.push(stranger);
  await until('the refusal is logged', async () => coordinatorLog.some((l) => l.includes(`refusing expert low at ${stranger.address}`)), 3000);
  const line = coordinatorLog.find((l) => l.includes(`refusing expert low at ${stranger.address}`))!;
  assert.match(line, /it serves pack tiny-unet with hash [0-9a-f]{12}, the coordinator serves reference with hash [0-9a-f]{12}/);
  assert.ok(!(await replicasOf('low')).includes(stranger.address));
  const result = await client.generateImage(job(90));
  assert.deepEqual(result.image.data, (await local.generate(job(90))).image.data);
});
