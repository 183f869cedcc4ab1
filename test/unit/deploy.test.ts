import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { ensureBuiltPack } from '../../packs/cache.ts';
import { REFERENCE_PACK_NAME, REFERENCE_PACK_VERSION } from '../../packs/reference/build.ts';
import { loadPack } from '../../common/pack/load.ts';
import { RUNTIME_FLAGS } from '../../sdk/local-cluster.ts';
import { renderOverlay } from '../../sdk/cli/deploy-render.ts';
import { sdxlExports } from '../helpers/exports.ts';
import { tempDir } from '../helpers/reference.ts';

const run = promisify(execFile);
const base = new URL('../../deploy/base/', import.meta.url);
const root = new URL('../../', import.meta.url);

interface Container {
  args: string[];
  ports: { containerPort: number }[];
  readinessProbe?: { grpc?: { port: number } };
}
interface Resource {
  kind: string;
  metadata: { name: string };
  spec: { template?: { spec: { containers: Container[] } }; scaleTargetRef?: { name: string } };
}

function resources(): Resource[] {
  const kustomization = parseAllDocuments(readFileSync(new URL('kustomization.yaml', base), 'utf8'))[0]!.toJS() as { resources: string[] };
  return kustomization.resources.flatMap((file) => {
    assert.ok(existsSync(new URL(file, base)), `${file} is listed and exists`);
    return parseAllDocuments(readFileSync(new URL(file, base), 'utf8')).map((d) => d.toJS() as Resource);
  });
}

const flag = (args: string[], name: string) => args[args.indexOf(name) + 1];

test('the Kubernetes manifests run one Deployment per expert and SR stage of the pack, wired to NATS', async () => {
  const all = resources();
  const deployments = all.filter((r) => r.kind === 'Deployment' && r.spec.template!.spec.containers[0]!.args?.[0]?.endsWith('main.ts'));
  const containers = deployments.map((d) => d.spec.template!.spec.containers[0]!);
  const cache = tempDir('deploy');
  try {
    const pack = loadPack(ensureBuiltPack('reference', cache.dir));
    const experts = containers.filter((c) => c.args[0] === 'expert-node/main.ts').map((c) => flag(c.args, '--expert'));
    assert.deepEqual(experts.sort(), pack.manifest.base.experts.map((e) => e.name).sort());
    const stages = containers.filter((c) => c.args[0] === 'sr-node/main.ts').map((c) => flag(c.args, '--stage'));
    assert.deepEqual(stages.sort(), pack.manifest.super_resolution.map((s) => s.name).sort());
    assert.equal(containers.filter((c) => c.args[0] === 'encoder-node/main.ts').length, 1);
    assert.equal(containers.filter((c) => c.args[0] === 'coordinator/main.ts').length, 1);
    for (const c of containers) {
      assert.equal(flag(c.args, '--nats'), 'nats://nats:4222', c.args.join(' '));
      assert.equal(flag(c.args, '--pack'), `/packs/packs/${REFERENCE_PACK_NAME}-v${REFERENCE_PACK_VERSION}`, 'the pack the image builds (bump deploy/base with REFERENCE_PACK_VERSION)');
      if (c.args[0] !== 'coordinator/main.ts') assert.equal(flag(c.args, '--advertise'), '$(POD_IP)', 'nodes register their pod address');
      const port = Number(flag(c.args, '--port'));
      assert.ok(c.ports.some((p) => p.containerPort === port), `${c.args[0]} exposes --port ${port}`);
      assert.equal(c.readinessProbe?.grpc?.port, port, `${c.args[0]} is probed on grpc.health.v1`);
      // Every flag is one the program accepts (an unknown flag exits 2 before --help is read).
      await run(process.execPath, ['--import', 'tsx', new URL(c.args[0]!, root).pathname, ...c.args.slice(1), '--help']);
    }
  } finally {
    cache.remove();
  }
  const hpas = all.filter((r) => r.kind === 'HorizontalPodAutoscaler');
  assert.equal(hpas.length, 3, 'each expert scales on its own');
  for (const h of hpas) assert.ok(deployments.some((d) => d.metadata.name === h.spec.scaleTargetRef!.name), h.metadata.name);
  assert.ok(all.some((r) => r.kind === 'Service' && r.metadata.name === 'nats'));
  assert.ok(all.some((r) => r.kind === 'Service' && r.metadata.name === 'coordinator'));
});

test('the container image and the benchmarks run Node.js with the same flags as the local cluster', () => {
  const entrypoint = /^ENTRYPOINT (.*)$/m.exec(readFileSync(new URL('deploy/Dockerfile', root), 'utf8'))![1]!;
  assert.deepEqual(JSON.parse(entrypoint), ['node', ...RUNTIME_FLAGS, '--import', 'tsx']);
  const scripts = (JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as { scripts: Record<string, string> }).scripts;
  assert.equal(scripts.bench, `node ${RUNTIME_FLAGS.join(' ')} --import tsx bench/run.ts`);
});

test('ediff deploy render writes an overlay over deploy/base for a pack: one Deployment and autoscaler per expert, the decode stage, GPUs, the pack mounted read-only', async () => {
  const exports = sdxlExports();
  const out = tempDir('overlay');
  try {
    const pack = loadPack({ dir: exports.base, refiner: exports.refiner, refinerAt: 0.7 });
    for (const [name, text] of Object.entries(renderOverlay(pack, out.dir, { replicas: { base: 4 }, mountPath: '/models', claim: 'sdxl', gpu: true }))) writeFileSync(path.join(out.dir, name), text);
    const { stdout } = await run('kubectl', ['kustomize', out.dir]);
    const all = parseAllDocuments(stdout).map((d) => d.toJS() as Resource & { spec: { replicas?: number; minReplicas?: number; template?: { spec: { volumes?: { persistentVolumeClaim?: { claimName: string; readOnly: boolean } }[] } } } });
    const deployments = all.filter((r) => r.kind === 'Deployment');
    assert.deepEqual(deployments.map((d) => d.metadata.name).sort(), ['coordinator', 'decode', 'encoder', 'expert-base', 'expert-refiner'], "the reference pack's experts and SR stages are gone");
    const nats = all.find((r) => r.kind === 'StatefulSet' && r.metadata.name === 'nats') as (Resource & { spec: { volumeClaimTemplates?: { metadata: { name: string } }[] } }) | undefined;
    assert.deepEqual(nats?.spec.volumeClaimTemplates?.map((v) => v.metadata.name), ['data'], 'NATS keeps durable jobs on a volume');
    assert.deepEqual(all.filter((r) => r.kind === 'HorizontalPodAutoscaler').map((h) => [h.metadata.name, h.spec.scaleTargetRef!.name, h.spec.minReplicas]), [['expert-base', 'expert-base', 4], ['expert-refiner', 'expert-refiner', 1]]);
    const byName = new Map(deployments.map((d) => [d.metadata.name, d]));
    assert.equal(byName.get('expert-base')!.spec.replicas, 4);
    assert.equal(byName.get('coordinator')!.spec.replicas, 2, 'two coordinators: either runs any durable job');
    for (const name of ['coordinator', 'encoder', 'expert-base', 'expert-refiner', 'decode']) {
      const d = byName.get(name)!;
      const c = d.spec.template!.spec.containers[0]! as Container & { volumeMounts: { mountPath: string; readOnly: boolean }[]; resources?: { limits?: Record<string, number> } };
      assert.deepEqual([flag(c.args, '--pack'), flag(c.args, '--refiner'), flag(c.args, '--refiner-at'), flag(c.args, '--nats')], ['/models/base', '/models/refiner', '0.7', 'nats://nats:4222'], name);
      assert.deepEqual(d.spec.template!.spec.volumes!.map((v) => v.persistentVolumeClaim), [{ claimName: 'sdxl', readOnly: true }], name);
      assert.deepEqual(c.volumeMounts, [{ name: 'pack', mountPath: '/models', readOnly: true }], name);
      if (name !== 'coordinator') assert.equal(c.resources?.limits?.['nvidia.com/gpu'], 1, `${name} requests a GPU`);
      const port = Number(flag(c.args, '--port'));
      assert.ok(c.ports.some((p) => p.containerPort === port) && c.readinessProbe?.grpc?.port === port, `${name} is probed on its port`);
      assert.deepEqual([(d.spec.template!.spec as { terminationGracePeriodSeconds?: number }).terminationGracePeriodSeconds, (c as { lifecycle?: unknown }).lifecycle], [40, { preStop: { exec: { command: ['sleep', '5'] } } }], `${name} drains before it is killed`);
    }
    assert.equal(flag(byName.get('expert-refiner')!.spec.template!.spec.containers[0]!.args, '--expert'), 'refiner');
    assert.equal(flag(byName.get('decode')!.spec.template!.spec.containers[0]!.args, '--stage'), 'decode');
    // Every flag is one the programs accept.
    for (const d of deployments) {
      const args = d.spec.template!.spec.containers[0]!.args;
      await run(process.execPath, ['--import', 'tsx', new URL(args[0]!, root).pathname, ...args.slice(1), '--help']);
    }
    assert.throws(() => renderOverlay(pack, out.dir, { replicas: { unet: 2 }, mountPath: '/models', claim: 'x', gpu: false }), /--replicas unet=\.\.\.: pack .* has no base expert unet \(it has base, refiner\)/);
  } finally {
    out.remove();
    exports.remove();
  }
});

test('deploy render --tls adds deploy/components/tls: TLS and tokens on the public API, mutual TLS to the nodes, TCP probes, the secrets mounted', async () => {
  const exports = sdxlExports();
  const out = tempDir('overlay-tls');
  try {
    const pack = loadPack({ dir: exports.base, refiner: exports.refiner });
    for (const [name, text] of Object.entries(renderOverlay(pack, out.dir, { replicas: {}, mountPath: '/models', claim: 'sdxl', gpu: false, tls: true }))) writeFileSync(path.join(out.dir, name), text);
    const { stdout } = await run('kubectl', ['kustomize', out.dir]);
    type Pod = { volumes: { name: string; secret?: { secretName: string } }[]; containers: (Container & { readinessProbe: unknown })[] };
    const resources = parseAllDocuments(stdout).map((d) => d.toJS() as Resource & { spec: { template?: { spec: Pod } } });
    const deployments = resources.filter((r) => r.kind === 'Deployment');
    const nats = resources.find((r) => r.kind === 'StatefulSet' && r.metadata.name === 'nats')!.spec.template!.spec;
    assert.ok(['--tls', '--tlscert=/tls/tls.crt', '--tlskey=/tls/tls.key', '--user=ediff', '--pass=$(NATS_PASSWORD)'].every((a) => nats.containers[0]!.args.includes(a)), 'NATS serves TLS and wants a user and password');
    assert.ok(nats.volumes.some((v) => v.secret?.secretName === 'ediff-tls'));
    assert.deepEqual(deployments.map((d) => d.metadata.name).sort(), ['coordinator', 'decode', 'encoder', 'expert-base', 'expert-refiner']);
    for (const d of deployments) {
      const pod = d.spec.template!.spec;
      const args = pod.containers[0]!.args;
      const name = d.metadata.name;
      assert.ok(args.includes('--tls-cert=/tls/tls.crt') && args.includes('--tls-key=/tls/tls.key'), `${name} serves TLS`);
      if (name === 'coordinator') assert.ok(['--tokens=/tokens/tokens.json', '--node-ca=/tls/ca.crt', '--node-cert=/tls/tls.crt', '--node-key=/tls/tls.key'].every((a) => args.includes(a)) && !args.includes('--tls-client-ca=/tls/ca.crt'), 'the coordinator: tokens, and mutual TLS to its nodes');
      else assert.ok(args.includes('--tls-client-ca=/tls/ca.crt'), `${name} requires a client certificate`);
      assert.deepEqual(pod.containers[0]!.readinessProbe, { tcpSocket: { port: 'grpc' } }, `${name}: kubelet's gRPC probe speaks plaintext only`);
      assert.ok(pod.volumes.some((v) => v.secret?.secretName === 'ediff-tls'), `${name} mounts ediff-tls`);
      assert.ok(args.includes('--nats-ca=/tls/ca.crt') && args.includes('--nats-user=ediff'), `${name} connects to NATS over TLS as ediff`);
      const env = (pod.containers[0] as { env?: { name: string; valueFrom?: { secretKeyRef?: { name: string } } }[] }).env ?? [];
      assert.equal(env.find((e) => e.name === 'EDIFF_NATS_PASSWORD')?.valueFrom?.secretKeyRef?.name, 'ediff-nats', `${name} takes NATS's password from the Secret ediff-nats`);
      await run(process.execPath, ['--import', 'tsx', new URL(args[0]!, root).pathname, ...args.slice(1), '--help']);
    }
  } finally {
    out.remove();
    exports.remove();
  }
});
