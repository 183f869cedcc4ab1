/**
 * The job API on a real cluster (in-memory jobs): SubmitJob, WatchJob resumed after any event,
 * idempotent resubmits, GetJob, CancelJob, ListJobs, and admission limits (RESOURCE_EXHAUSTED
 * with a retry hint), through the SDK and the CLI.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { EdiffClient, EdiffError } from '../../sdk/client.ts';
import { startLocalCluster, type LocalCluster } from '../../sdk/local-cluster.ts';
import { collect } from '../helpers/jobs.ts';
import { tempDir } from '../helpers/reference.ts';
import { writeTinyPack } from '../helpers/tiny-pack.ts';

const run = promisify(execFile);
const CLI = fileURLToPath(new URL('../../bin/ediff.mjs', import.meta.url));

describe('the job API', () => {
  const pack = tempDir('jobs');
  let cluster: LocalCluster;
  let client: EdiffClient;
  before(async () => {
    writeTinyPack(pack.dir);
    // One job runs at a time and one waits: the admission limits are easy to reach.
    cluster = await startLocalCluster({ pack: pack.dir, coordinatorArgs: ['--max-running', '1', '--max-queued', '1'] });
    client = new EdiffClient(cluster.address);
  });
  after(async () => {
    client?.close();
    await cluster?.stop();
    pack.remove();
  });

  test('a submitted job runs, its events are numbered, and its result is the one Generate gives', async () => {
    const request = { prompt: '', seed: 7, steps: 6 };
    const { id, existing } = await client.submit(request);
    assert.equal(existing, false);
    const events = await collect(client.watch(id));
    assert.deepEqual(events.map((e) => e.seq), events.map((_, i) => i + 1));
    assert.deepEqual(events.slice(0, 2).map((e) => e.type === 'state' && e.state), ['queued', 'running']);
    assert.equal(events.filter((e) => e.type === 'evaluation').length, 6);
    const last = events.at(-1)!;
    assert.equal(last.type, 'result');
    const direct = await client.generateImage(request);
    if (last.type === 'result') assert.ok(last.png.equals(direct.png), 'the same PNG as Generate');
    const job = await client.getJob(id);
    assert.deepEqual([job.state, job.evaluation, job.evaluations, Number(job.lastSeq), job.result?.seed], ['succeeded', 6, 6, events.length, 7]);
    // Watching again after any event gives exactly the rest.
    for (const k of [0, 3, events.length - 1, events.length]) assert.deepEqual(await collect(client.watch(id, { after: k })), events.slice(k));
    assert.ok((await client.listJobs()).some((j) => j.id === id));
  });

  test('watch reconnects by itself when the connection drops, and misses or repeats no event', async () => {
    // A TCP proxy in front of the coordinator whose connections are cut mid-watch.
    const sockets = new Set<net.Socket>();
    const [host, port] = cluster.address.split(':') as [string, string];
    const proxy = net.createServer((inbound) => {
      const outbound = net.connect(Number(port), host);
      for (const s of [inbound, outbound]) {
        sockets.add(s);
        s.on('close', () => sockets.delete(s));
        s.on('error', () => {});
      }
      inbound.pipe(outbound).pipe(inbound);
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const viaProxy = new EdiffClient(`127.0.0.1:${(proxy.address() as net.AddressInfo).port}`);
    try {
      const { id } = await viaProxy.submit({ prompt: '', seed: 2, steps: 300 });
      const seen: number[] = [];
      let cut = false;
      for await (const e of viaProxy.watch(id)) {
        seen.push(e.seq);
        if (seen.length === 20 && !cut) {
          cut = true;
          for (const s of sockets) s.destroy();
        }
      }
      assert.ok(cut);
      assert.deepEqual(seen, seen.map((_, i) => i + 1), 'every event once, in order');
      assert.equal(seen.length, Number((await client.getJob(id)).lastSeq));
    } finally {
      viaProxy.close();
      proxy.close();
    }
  });

  test('a client job id makes a resubmit return the same job', async () => {
    const first = await client.submit({ prompt: '', seed: 1, steps: 2 }, { clientJobId: 'order-42' });
    const again = await client.submit({ prompt: '', seed: 1, steps: 2 }, { clientJobId: 'order-42' });
    assert.deepEqual([again.id, again.existing], [first.id, true]);
    await collect(client.watch(first.id));
    assert.equal((await client.getJob(first.id)).clientJobId, 'order-42');
  });

  test('past --max-running and --max-queued a submission is RESOURCE_EXHAUSTED with retry-after; the queued job shows its position; cancels end jobs', async () => {
    const long = { prompt: '', seed: 3, steps: 1000 };
    const running = await client.submit(long);
    const queued = await client.submit(long);
    await assert.rejects(client.submit(long), (e: unknown) => e instanceof EdiffError && e.codeName === 'RESOURCE_EXHAUSTED' && /the coordinator is full: 1 jobs running and 1 queued/.test(e.details) && (e.retryAfterSeconds ?? 0) >= 1);
    await assert.rejects(client.generateImage(long), (e: unknown) => e instanceof EdiffError && e.codeName === 'RESOURCE_EXHAUSTED');
    const waiting = await client.getJob(queued.id);
    assert.deepEqual([waiting.state, waiting.queuePosition], ['queued', 0]);
    assert.equal((await client.cancelJob(queued.id)).state, 'cancelled');
    await client.cancelJob(running.id);
    const end = (await collect(client.watch(running.id))).at(-1)!;
    assert.deepEqual(end.type === 'state' ? end.state : end.type, 'cancelled');
    // The slots are free again.
    const next = await client.submit({ prompt: '', seed: 4, steps: 2 });
    assert.equal((await collect(client.watch(next.id))).at(-1)!.type, 'result');
  });

  test('unknown jobs are NOT_FOUND, ids that are not job ids INVALID_ARGUMENT; the CLI lists, gets, watches and cancels jobs', async () => {
    const unknown = '0b7a9c1e-0000-4000-8000-000000000000';
    await assert.rejects(client.getJob(unknown), (e: unknown) => e instanceof EdiffError && e.codeName === 'NOT_FOUND' && e.details.includes(`no job ${unknown}`));
    await assert.rejects(client.getJob('nope>*'), (e: unknown) => e instanceof EdiffError && e.codeName === 'INVALID_ARGUMENT' && /not a job id/.test(e.details));
    const out = path.join(pack.dir, 'watched.png');
    const cli = (...args: string[]) => run(process.execPath, [CLI, ...args, '--coordinator', cluster.address]);
    const { stdout: id } = await cli('generate', 'a cat', '--detach', '--seed', '5', '--steps', '3', '--pack', pack.dir);
    const { stdout: watched } = await cli('jobs', 'watch', id.trim(), '-o', out);
    assert.match(watched, /^1 queued\n/);
    assert.match(watched, /succeeded: wrote .*watched\.png \(8x8, seed 5\)\n$/);
    assert.ok(readFileSync(out).equals((await client.generateImage({ prompt: 'a cat', seed: 5, steps: 3 })).png));
    assert.match((await cli('jobs', 'get', id.trim())).stdout, new RegExp(`^${id.trim()}  succeeded  8x8, seed 5\\n$`));
    assert.match((await cli('jobs', 'list')).stdout, new RegExp(id.trim()));
    const missing = await cli('jobs', 'get', unknown).then(
      () => null,
      (e: { code: number; stderr: string }) => e,
    );
    assert.equal(missing?.code, 1);
    assert.ok(missing!.stderr.includes(`NOT_FOUND: no job ${unknown}`), missing!.stderr);
  });
});

test('SIGTERM drains a coordinator: it refuses new jobs with UNAVAILABLE, finishes the running one, then exits 0', async () => {
  const pack = tempDir('drain');
  writeTinyPack(pack.dir);
  const cluster = await startLocalCluster({ pack: pack.dir });
  const client = new EdiffClient(cluster.address);
  try {
    const { id } = await client.submit({ prompt: '', seed: 1, steps: 600 });
    const events = collect(client.watch(id));
    await new Promise((r) => setTimeout(r, 200));
    const stopped = cluster.coordinator.stop('SIGTERM', 30_000);
    await new Promise((r) => setTimeout(r, 100));
    await assert.rejects(client.submit({ prompt: '', seed: 2, steps: 2 }), (e: unknown) => e instanceof EdiffError && e.codeName === 'UNAVAILABLE' && /shutting down; submit to another coordinator/.test(e.details));
    assert.equal((await events).at(-1)!.type, 'result', 'the running job finished');
    await stopped;
    assert.deepEqual(await cluster.coordinator.exited, { code: 0, signal: null, stopped: true });
  } finally {
    client.close();
    await cluster.stop();
    pack.remove();
  }
});
