/**
 * The public API over TLS with bearer tokens (certificates from `ediff certs`, made with
 * openssl): a trusted client with a token is served; no token or an unknown one is
 * UNAUTHENTICATED; another tenant's job is PERMISSION_DENIED and not listed; a tenant's quota is
 * RESOURCE_EXHAUSTED; a plaintext client cannot connect; plaintext on a non-loopback address
 * needs --insecure; tokens never reach the logs.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { openRegistry } from '../../common/discovery.ts';
import { channelCredentials } from '../../common/grpc/tls.ts';
import { checkHealth } from '../../coordinator/health.ts';
import { EdiffClient, EdiffError } from '../../sdk/client.ts';
import { makeCertificates } from '../../sdk/cli/certs.ts';
import { startLocalCluster, startNodeProcess, type LocalCluster } from '../../sdk/local-cluster.ts';
import { tempDir } from '../helpers/reference.ts';
import { startNatsServer } from '../helpers/nats.ts';
import { writeTinyPack } from '../helpers/tiny-pack.ts';

const run = promisify(execFile);
const CLI = fileURLToPath(new URL('../../bin/ediff.mjs', import.meta.url));
const ALICE = 'alice-0123456789abcdef0123';
const BOB = 'bob-fedcba9876543210fedcba';

const failsWith = (code: string, details: RegExp) => (e: unknown) => e instanceof EdiffError && e.codeName === code && details.test(e.details);

describe('TLS and bearer tokens on the public API', () => {
  const work = tempDir('security');
  let cluster: LocalCluster;
  let certs: ReturnType<typeof makeCertificates>;
  const logs: string[] = [];
  const client = (token?: string) => new EdiffClient(cluster.address, { ca: certs.ca, ...(token && { token }) });
  before(async () => {
    writeTinyPack(path.join(work.dir, 'pack'));
    certs = makeCertificates(path.join(work.dir, 'certs'));
    const tokens = path.join(work.dir, 'tokens.json');
    writeFileSync(tokens, JSON.stringify({ tokens: [{ token: ALICE, tenant: 'alice', max_in_flight: 1 }, { token: BOB, tenant: 'bob' }] }));
    cluster = await startLocalCluster({ pack: path.join(work.dir, 'pack'), coordinatorArgs: ['--tls-cert', certs.server, '--tls-key', certs.serverKey, '--tokens', tokens], log: (line) => logs.push(line) });
  });
  after(async () => {
    await cluster?.stop();
    work.remove();
  });

  test('a client that trusts the CA and sends a token is served; without a token, or with an unknown one, it is UNAUTHENTICATED', async () => {
    const alice = client(ALICE);
    const anonymous = client();
    const stranger = client('not-a-token-at-all-0000');
    try {
      const result = await alice.generateImage({ prompt: '', seed: 1, steps: 3 });
      assert.deepEqual([result.width, result.height], [8, 8]);
      await assert.rejects(anonymous.generateImage({ prompt: '', seed: 1, steps: 3 }), failsWith('UNAUTHENTICATED', /^missing credentials: send "authorization: Bearer TOKEN"$/));
      await assert.rejects(stranger.describePipeline(), failsWith('UNAUTHENTICATED', /^unknown token$/));
      await assert.rejects(anonymous.listJobs(), failsWith('UNAUTHENTICATED', /missing credentials/));
    } finally {
      for (const c of [alice, anonymous, stranger]) c.close();
    }
  });

  test("a tenant sees only its jobs: another's is PERMISSION_DENIED; its quota of jobs in flight is RESOURCE_EXHAUSTED", async () => {
    const alice = client(ALICE);
    const bob = client(BOB);
    try {
      const { id } = await alice.submit({ prompt: '', seed: 2, steps: 800 });
      await assert.rejects(alice.submit({ prompt: '', seed: 3, steps: 2 }), (e: unknown) => failsWith('RESOURCE_EXHAUSTED', /^tenant alice has 1 jobs queued or running, its limit/)(e) && ((e as EdiffError).retryAfterSeconds ?? 0) >= 1);
      await assert.rejects(bob.getJob(id), failsWith('PERMISSION_DENIED', /belongs to another tenant/));
      await assert.rejects(bob.cancelJob(id), failsWith('PERMISSION_DENIED', /belongs to another tenant/));
      assert.ok(!(await bob.listJobs()).some((j) => j.id === id));
      assert.ok((await alice.listJobs()).some((j) => j.id === id));
      // Bob's own work is not held up by Alice's quota.
      assert.equal((await bob.generateImage({ prompt: '', seed: 4, steps: 2 })).seed, 4);
      await alice.cancelJob(id);
    } finally {
      alice.close();
      bob.close();
    }
  });

  test('a plaintext client cannot talk to the TLS port; the CLI reaches it with EDIFF_CA and EDIFF_TOKEN; no token is logged', async () => {
    const plain = new EdiffClient(cluster.address, { token: ALICE, callTimeoutMs: 3000 });
    try {
      await assert.rejects(plain.describePipeline(), (e: unknown) => e instanceof EdiffError && ['UNAVAILABLE', 'DEADLINE_EXCEEDED'].includes(e.codeName));
    } finally {
      plain.close();
    }
    const { stdout } = await run(process.execPath, [CLI, 'describe', '--coordinator', cluster.address], { env: { ...process.env, EDIFF_CA: certs.ca, EDIFF_TOKEN: BOB } });
    assert.equal(JSON.parse(stdout).pack, 'tiny');
    assert.ok(logs.length > 0 && logs.every((l) => !l.includes(ALICE) && !l.includes(BOB)), 'no token in any log line');
  });
});

test('plaintext on a non-loopback address needs --insecure', async () => {
  const work = tempDir('insecure');
  try {
    writeTinyPack(work.dir);
    await assert.rejects(startNodeProcess('coordinator', ['--pack', work.dir, '--host', '0.0.0.0', '--encoder', '127.0.0.1:1'], { startTimeoutMs: 30_000 }), /--host 0\.0\.0\.0 is not loopback: serve it over TLS \(--tls-cert, --tls-key\) or pass --insecure to allow plaintext/);
  } finally {
    work.remove();
  }
});

test('mutual TLS to the nodes: a node refuses a caller without a certificate its CA signed; a coordinator with one runs jobs through TLS nodes', async () => {
  const work = tempDir('mtls');
  const started: { stop: () => Promise<void> }[] = [];
  try {
    const pack = path.join(work.dir, 'pack');
    writeTinyPack(pack);
    // The nodes' certificate names no address they are reached at, as with pods reached by IP.
    const certs = makeCertificates(path.join(work.dir, 'certs'), ['node.invalid'], 30, false);
    const nodeTls = ['--tls-cert', certs.server, '--tls-key', certs.serverKey, '--tls-client-ca', certs.ca];
    const start = async (deployable: Parameters<typeof startNodeProcess>[0], args: string[]) => {
      const p = await startNodeProcess(deployable, ['--pack', pack, ...args]);
      started.push(p);
      return p;
    };
    const [encoder, high, low] = await Promise.all([start('encoder-node', nodeTls), start('expert-node', ['--expert', 'high', ...nodeTls]), start('expert-node', ['--expert', 'low', ...nodeTls])]);
    // Trusting the CA is not enough: the node wants a client certificate.
    const ca = readFileSync(certs.ca);
    const clientCert = { ca, cert: readFileSync(certs.client), key: readFileSync(certs.clientKey) };
    assert.equal(await checkHealth(high.address, 3000, channelCredentials({ ca }, true)), 'UNREACHABLE');
    assert.equal(await checkHealth(high.address, 3000, channelCredentials(clientCert, true)), 'SERVING');
    // Checked by name, the certificate does not fit the address: the coordinator checks nodes by their CA instead.
    assert.equal(await checkHealth(high.address, 3000, channelCredentials(clientCert)), 'UNREACHABLE');
    const nodes = ['--encoder', encoder.address, '--expert', `high=${high.address}`, '--expert', `low=${low.address}`];
    const withCert = await start('coordinator', [...nodes, '--node-ca', certs.ca, '--node-cert', certs.client, '--node-key', certs.clientKey]);
    const withoutCert = await start('coordinator', [...nodes, '--evaluation-timeout-ms', '3000']);
    const good = new EdiffClient(withCert.address);
    const bad = new EdiffClient(withoutCert.address);
    try {
      assert.equal((await good.generateImage({ prompt: '', seed: 1, steps: 3 })).seed, 1);
      await assert.rejects(bad.generateImage({ prompt: '', seed: 1, steps: 3 }), (e: unknown) => e instanceof EdiffError && ['UNAVAILABLE', 'DEADLINE_EXCEEDED', 'INTERNAL'].includes(e.codeName));
    } finally {
      good.close();
      bad.close();
    }
  } finally {
    await Promise.all(started.map((p) => p.stop()));
    work.remove();
  }
});

test('NATS over TLS with a user and password: a node registers with --nats-ca, --nats-user and EDIFF_NATS_PASSWORD; without them it cannot connect', async () => {
  const work = tempDir('nats-tls');
  const certs = makeCertificates(path.join(work.dir, 'certs'));
  const nats = await startNatsServer({ tls: { cert: certs.server, key: certs.serverKey }, user: 'ediff', pass: 'nats-secret-0123456789' });
  const started: { stop: () => Promise<void> }[] = [];
  try {
    await assert.rejects(openRegistry({ url: nats.url, ca: certs.ca, user: 'ediff', pass: 'wrong' }), /cannot reach NATS at .*: .*[Aa]uthorization/);
    await assert.rejects(openRegistry({ url: nats.url, user: 'ediff', pass: 'nats-secret-0123456789' }), /cannot reach NATS at/);
    const pack = path.join(work.dir, 'pack');
    writeTinyPack(pack);
    process.env.EDIFF_NATS_PASSWORD = 'nats-secret-0123456789';
    try {
      started.push(await startNodeProcess('expert-node', ['--pack', pack, '--expert', 'high', '--nats', nats.url, '--nats-ca', certs.ca, '--nats-user', 'ediff']));
    } finally {
      delete process.env.EDIFF_NATS_PASSWORD;
    }
    const registry = await openRegistry({ url: nats.url, ca: certs.ca, user: 'ediff', pass: 'nats-secret-0123456789' });
    try {
      const keys: string[] = [];
      for await (const k of await registry.kv.keys()) keys.push(k);
      assert.ok(keys.some((k) => k.startsWith('expert.high.')), `registered: ${keys.join(', ')}`);
    } finally {
      await registry.nc.close();
    }
  } finally {
    await Promise.all(started.map((p) => p.stop()));
    await nats.stop();
    work.remove();
  }
});
