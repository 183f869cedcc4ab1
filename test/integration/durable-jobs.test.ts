/**
 * Durable jobs (coordinators started with --nats) on a real nats-server with two coordinators:
 * any coordinator answers for any job, over gRPC and HTTP; a client job id (an HTTP
 * Idempotency-Key) is idempotent across them; cancelling on
 * one stops the job the other runs; the queue's limit gives RESOURCE_EXHAUSTED with a hint; a job
 * whose coordinator drains (SIGTERM) or is killed (-9) completes on the other, and one whose
 * expert node dies waits in the queue for a replica, each resumed from its checkpoint, with the
 * bytes of an undisturbed run and no event lost or repeated.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { packFlags, loadPack } from '../../common/pack/load.ts';
import { EdiffClient, EdiffError, type GenerateRequest, type JobEvent } from '../../sdk/client.ts';
import { startLocalCluster, startNodeProcess, type ClusterProcess, type LocalCluster } from '../../sdk/local-cluster.ts';
import { startNatsServer, type NatsServer } from '../helpers/nats.ts';
import { collect } from '../helpers/jobs.ts';
import { tempDir } from '../helpers/reference.ts';
import { writeTinyPack } from '../helpers/tiny-pack.ts';

/** The coordinator a job's last RUNNING event names. */
const runnerOf = (events: JobEvent[]) => {
  const running = events.filter((e) => e.type === 'state' && e.state === 'running').at(-1);
  return running?.type === 'state' ? /coordinator (\S+)/.exec(running.message)?.[1] : undefined;
};

describe('durable jobs: two coordinators over JetStream', () => {
  const pack = tempDir('durable');
  let nats: NatsServer;
  let cluster: LocalCluster;
  /** The coordinators now: the cluster's and a second one, each replaced when a test stops it. */
  const coordinators: ClusterProcess[] = [];
  /** Nodes started in place of killed ones. */
  const replacements: ClusterProcess[] = [];
  const clients = new Map<string, EdiffClient>();
  const client = (address: string) => clients.get(address) ?? clients.set(address, new EdiffClient(address)).get(address)!;
  // Short ack deadline and frequent checkpoints, so that a takeover is quick; one job per
  // coordinator and a queue of three, so that the limit is easy to reach.
  const flags = ['--ack-wait-s', '2', '--checkpoint-every', '5', '--max-running', '1', '--max-queued', '3', '--http-port', '0'];
  let a: EdiffClient;
  let b: EdiffClient;
  const startCoordinator = () => startNodeProcess('coordinator', [...packFlags(loadPack(pack.dir).location), '--host', '127.0.0.1', '--port', '0', '--metrics-port', '0', '--nats', nats.url, ...flags]);
  /** Submits, retrying while the queue is full (the jobs a test cancelled leave it as their coordinators stop them). */
  const submitWhenRoom = async (c: EdiffClient, request: GenerateRequest) => {
    for (;;) {
      try {
        return await c.submit(request);
      } catch (error) {
        if ((error as EdiffError).codeName !== 'RESOURCE_EXHAUSTED') throw error;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  };
  before(async () => {
    writeTinyPack(pack.dir);
    nats = await startNatsServer();
    cluster = await startLocalCluster({ pack: pack.dir, nats: nats.url, coordinatorArgs: flags });
    coordinators.push(cluster.coordinator, await startCoordinator());
    a = client(coordinators[0]!.address);
    b = client(coordinators[1]!.address);
  });
  after(async () => {
    for (const c of clients.values()) c.close();
    await Promise.all(coordinators.map((c) => c.stop()));
    await Promise.all(replacements.map((n) => n.stop()));
    await cluster?.stop();
    await nats?.stop();
    pack.remove();
  });

  test('a job submitted on one coordinator is seen, watched and fetched on the other; a client job id is idempotent across them', async () => {
    const request = { prompt: '', seed: 11, steps: 8 };
    const first = await a.submit(request, { clientJobId: 'order-1' });
    const again = await b.submit(request, { clientJobId: 'order-1' });
    assert.deepEqual([again.id, first.existing, again.existing], [first.id, false, true]);
    const events = await collect(b.watch(first.id));
    assert.deepEqual(events.map((e) => e.seq), events.map((_, i) => i + 1), 'numbered 1, 2, 3, ...');
    assert.deepEqual(events.slice(0, 2).map((e) => e.type === 'state' && e.state), ['queued', 'running']);
    assert.equal(events.filter((e) => e.type === 'evaluation').length, 8);
    const last = events.at(-1)!;
    assert.equal(last.type, 'result');
    const direct = await a.generateImage(request);
    if (last.type === 'result') assert.ok(last.png.equals(direct.png), 'the PNG Generate gives');
    for (const c of [a, b]) {
      const job = await c.getJob(first.id);
      assert.deepEqual([job.state, job.evaluation, job.evaluations, Number(job.lastSeq)], ['succeeded', 8, 8, events.length]);
      assert.ok(job.result?.png.equals(direct.png));
      assert.deepEqual(await collect(c.watch(first.id, { after: 3 })), events.slice(3), 'watching after event 3 gives the rest');
      assert.ok((await c.listJobs()).some((j) => j.id === first.id));
    }
  });


  test('HTTP async jobs are the same durable jobs: an Idempotency-Key holds across coordinators, and events resume after Last-Event-ID on the other', async () => {
    const [httpA, httpB] = coordinators.map((c) => `http://${c.http}`);
    const submit = (base: string) => fetch(`${base}/v1/images/jobs`, { method: 'POST', headers: { 'content-type': 'application/json', 'idempotency-key': 'http-order-1' }, body: JSON.stringify({ prompt: '', seed: 12, num_inference_steps: 6 }) });
    const created = await submit(httpA!);
    assert.equal(created.status, 202);
    const { id } = (await created.json()) as { id: string };
    const again = await submit(httpB!);
    assert.deepEqual([again.status, ((await again.json()) as { id: string }).id], [200, id], 'the same job on the other coordinator');
    /** The job's server-sent events from `base` after `last`, as [id, event name], until the stream ends. */
    const events = async (base: string, last: number) =>
      (await (await fetch(`${base}/v1/images/jobs/${id}/events`, { headers: { 'last-event-id': String(last) } })).text())
        .split('\n\n')
        .filter(Boolean)
        .map((block) => [Number(/^id: (\d+)$/m.exec(block)?.[1]), /^event: (\w+)$/m.exec(block)?.[1]] as const);
    const all = await events(httpA!, 0);
    assert.deepEqual(all.map(([n]) => n), all.map((_, k) => k + 1));
    assert.equal(all.at(-1)![1], 'result');
    assert.deepEqual(await events(httpB!, 3), all.slice(3), 'resumed after event 3 on the other coordinator');
    const content = Buffer.from(await (await fetch(`${httpB}/v1/images/jobs/${id}/content`)).arrayBuffer());
    const direct = await collect(a.watch(id));
    const result = direct.at(-1)!;
    assert.ok(result.type === 'result' && content.equals(result.png), 'the PNG the gRPC job API gives');
  });
  test('undecodable requests and ids that are not job ids are INVALID_ARGUMENT, unknown jobs NOT_FOUND', async () => {
    await assert.rejects(a.getJob('job.>'), (e: EdiffError) => e.codeName === 'INVALID_ARGUMENT' && /not a job id/.test(e.details));
    await assert.rejects(b.getJob('0b7a9c1e-0000-4000-8000-000000000000'), (e: EdiffError) => e.codeName === 'NOT_FOUND');
    // A SubmitJobRequest whose bytes are not protobuf: a length that runs past the end.
    const raw = new (grpc.makeGenericClientConstructor({ SubmitJob: { path: '/ediff.v1.Coordinator/SubmitJob', requestStream: false, responseStream: false, requestSerialize: (x: Buffer) => x, requestDeserialize: (x: Buffer) => x, responseSerialize: (x: Buffer) => x, responseDeserialize: (x: Buffer) => x } }, 'Coordinator'))(coordinators[0]!.address, grpc.credentials.createInsecure());
    const error = await new Promise<grpc.ServiceError | null>((resolve) => (raw as unknown as { SubmitJob: (b: Buffer, cb: (e: grpc.ServiceError | null) => void) => void }).SubmitJob(Buffer.from([0x0a, 0x7f, 0x01]), resolve));
    raw.close();
    assert.equal(error?.code, grpc.status.INVALID_ARGUMENT);
    assert.match(error!.details, /not a valid protobuf message for \/ediff.v1.Coordinator\/SubmitJob/);
  });

  test('cancelling on one coordinator stops the job wherever it runs; the queue limit gives RESOURCE_EXHAUSTED with a hint', async () => {
    // Two run (one per coordinator) and one waits: the queue holds three.
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push((await a.submit({ prompt: '', seed: 20 + i, steps: 1000 })).id);
    await assert.rejects(a.submit({ prompt: '', seed: 30, steps: 1000 }), (e: EdiffError) => {
      assert.equal(e.codeName, 'RESOURCE_EXHAUSTED');
      assert.match(e.details, /queue is full/);
      assert.ok(e.retryAfterSeconds! >= 1, 'a retry hint');
      return true;
    });
    // The first two are taken (each coordinator pulls within a second), the third waits first in line.
    while ((await Promise.all(ids.slice(0, 2).map((id) => b.getJob(id)))).some((j) => j.state !== 'running')) await new Promise((r) => setTimeout(r, 50));
    const waiting = await b.getJob(ids[2]!);
    assert.equal(waiting.state, 'queued');
    assert.equal(waiting.queuePosition, 0);
    for (const id of ids) await b.cancelJob(id);
    for (const id of ids) {
      const events = await collect(a.watch(id));
      const end = events.at(-1)!;
      assert.ok(end.type === 'state' && end.state === 'cancelled', `job ${id} ends cancelled`);
      assert.equal((await a.getJob(id)).state, 'cancelled');
    }
  });

  test('a job whose only expert replica dies goes back to the queue and resumes from its checkpoint once a replica is back: the same bytes', async () => {
    const request = { prompt: '', seed: 13, steps: 300 };
    const reference = await b.generateImage(request);
    const { id } = await submitWhenRoom(a, request);
    const events = await collect(b.watch(id), (e) => e.type === 'evaluation' && e.evaluation >= 40);
    const high = cluster.nodes.find((p) => p.role === 'expert-node' && p.name === 'high')!;
    await high.stop('SIGKILL');
    const retried = await collect(b.watch(id, { after: events.at(-1)!.seq }), (e) => e.type === 'state' && e.state === 'queued');
    const back = retried.at(-1)!;
    assert.ok(back.type === 'state' && /expert high is unavailable.*goes back to the queue and resumes from its checkpoint in 1 s \(retry 1 of 5\)/.test(back.message), JSON.stringify(back));
    replacements.push(await startNodeProcess('expert-node', [...packFlags(loadPack(pack.dir).location), '--expert', 'high', '--host', '127.0.0.1', '--port', '0', '--metrics-port', '0', '--nats', nats.url]));
    const rest = await collect(b.watch(id, { after: back.seq }));
    const all = [...events, ...retried, ...rest];
    assert.deepEqual(all.map((e) => e.seq), all.map((_, i) => i + 1), 'no event lost or repeated');
    const last = all.at(-1)!;
    assert.ok(last.type === 'result' && last.png.equals(reference.png), `the bytes of an undisturbed run (ended: ${JSON.stringify(last).slice(0, 300)})`);
  });

  test('SIGTERM on the coordinator running a job hands it back at once: the other resumes it from its checkpoint, with the same bytes', async () => {
    const request = { prompt: '', seed: 9, steps: 300 };
    const reference = await b.generateImage(request);
    const { id } = await submitWhenRoom(a, request);
    const before = await collect(a.watch(id), (e) => e.type === 'evaluation' && e.evaluation >= 40);
    const victim = coordinators.find((c) => c.address === runnerOf(before))!;
    const survivor = coordinators.find((c) => c !== victim)!;
    const started = Date.now();
    await victim.stop('SIGTERM');
    assert.deepEqual(await victim.exited, { code: 0, signal: null, stopped: true });
    const rest = await collect(client(survivor.address).watch(id, { after: before.at(-1)!.seq }));
    const events = [...before, ...rest];
    assert.deepEqual(events.map((e) => e.seq), events.map((_, i) => i + 1), 'no event lost or repeated');
    assert.equal(runnerOf(events), survivor.address);
    const resumed = events.filter((e) => e.type === 'state' && e.state === 'running').at(-1);
    assert.match(resumed?.type === 'state' ? resumed.message : '', /resumed by coordinator .* from its checkpoint at base step [1-9]/);
    const last = events.at(-1)!;
    assert.ok(last.type === 'result' && last.png.equals(reference.png), 'the bytes of an undisturbed run');
    assert.ok(Date.now() - started < 30_000, 'handed back, not left to the ack deadline');
    // A new coordinator takes the stopped one's place.
    coordinators[coordinators.indexOf(victim)] = await startCoordinator();
  });

  test('kill -9 of the coordinator running a job: the other resumes it from its checkpoint, with the same bytes and every event once', async () => {
    const request = { prompt: '', seed: 5, steps: 400 };
    const [a, b] = coordinators.map((c) => client(c.address)) as [EdiffClient, EdiffClient];
    const reference = await b.generateImage(request);
    const { id } = await submitWhenRoom(a, request);
    // Watch until the job is well past a few checkpoints (every 5 steps).
    const before = await collect(a.watch(id), (e) => e.type === 'evaluation' && e.evaluation >= 60);
    const runner = runnerOf(before);
    const victim = coordinators.find((c) => c.address === runner)!;
    assert.ok(victim, `the RUNNING event names its coordinator: ${runner}`);
    const survivor = coordinators.find((c) => c !== victim)!;
    await victim.stop('SIGKILL');
    const rest = await collect(client(survivor.address).watch(id, { after: before.at(-1)!.seq }));
    const events = [...before, ...rest];
    assert.deepEqual(events.map((e) => e.seq), events.map((_, i) => i + 1), 'no event lost or repeated');
    const evaluations = events.flatMap((e) => (e.type === 'evaluation' ? [e.evaluation] : []));
    assert.deepEqual(evaluations, evaluations.map((_, i) => i + 1), 'each evaluation once, in order');
    assert.equal(runnerOf(events), survivor.address);
    const resumed = events.filter((e) => e.type === 'state' && e.state === 'running').at(-1);
    const step = resumed?.type === 'state' ? Number(/base step (\d+)/.exec(resumed.message)?.[1]) : NaN;
    assert.ok(step >= 5 && step < 400, `resumed from a checkpoint, not from step 0: ${resumed?.type === 'state' && resumed.message}`);
    const last = events.at(-1)!;
    assert.ok(last.type === 'result', 'it succeeded');
    if (last.type === 'result') assert.ok(last.png.equals(reference.png), 'the bytes of an undisturbed run');
  });
});
