import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { ensureBuiltPack } from '../../packs/cache.ts';
import { loadPack } from '../../common/pack/load.ts';
import { RUNTIME_FLAGS } from '../../sdk/local-cluster.ts';
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
      assert.equal(flag(c.args, '--pack'), '/packs/packs/reference-v1');
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
