/**
 * `ediff deploy render --pack DIR [--refiner DIR] [--replicas EXPERT=N ...] [--out DIR]`: a
 * kustomize overlay over deploy/base that serves a pack on Kubernetes. deploy/base runs the
 * reference pack; the overlay removes its experts and SR stages, and adds, for the pack read
 * from DIR: one Deployment and one HorizontalPodAutoscaler per base expert (SDXL's base and
 * refiner scale apart), one Deployment per image stage (the decode stage, SR stages), the
 * coordinator and encoder pointed at it, every node reading the pack read-only from a volume
 * (a PersistentVolumeClaim mounted at /models), and a GPU for every model-running pod.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { loadPack, packFlags, type Pack, type PackLocation } from '../../common/pack/load.ts';
import { imageStageNames } from '../../common/pack/manifest.ts';
import { PACK_OPTIONS, packLocationOf } from './pack-commands.ts';
import { UsageError } from './usage.ts';

const BASE = fileURLToPath(new URL('../../deploy/base/', import.meta.url));
const TLS_COMPONENT = fileURLToPath(new URL('../../deploy/components/tls/', import.meta.url));
/** What deploy/base runs for the reference pack, which an overlay for another pack removes. */
const REFERENCE_DEPLOYMENTS = ['expert-high', 'expert-middle', 'expert-low', 'sr256', 'sr1024'];
const REFERENCE_AUTOSCALERS = ['expert-high', 'expert-middle', 'expert-low'];
/** The flags deploy/components/tls adds (kept in step with its kustomization.yaml; the deploy test renders both). */
const COMPONENT_TLS_ARGS = ['--tls-cert=/tls/tls.crt', '--tls-key=/tls/tls.key', '--nats-ca=/tls/ca.crt', '--nats-user=ediff'];
const COMPONENT_NODE_ARGS = ['--tls-client-ca=/tls/ca.crt'];
const COMPONENT_COORDINATOR_ARGS = ['--tokens=/tokens/tokens.json', '--node-ca=/tls/ca.crt', '--node-cert=/tls/tls.crt', '--node-key=/tls/tls.key'];
const NODE_PORT = 7000;
const METRICS_PORT = 9100;
const NATS = 'nats://nats:4222';

export interface RenderOptions {
  /** Replicas per base expert (the autoscaler's minimum). @default 1 each */
  replicas: Record<string, number>;
  /** Where the pack's folders are mounted in the pods. @default /models */
  mountPath: string;
  /** The PersistentVolumeClaim holding the pack's folders. @default ediff-models */
  claim: string;
  /** Request an NVIDIA GPU for the encoder, every expert and every image stage. @default true */
  gpu: boolean;
  /** Add deploy/components/tls: TLS and tokens on the public API, mutual TLS to the nodes. @default false */
  tls?: boolean;
}

/** The pack's location as the pods see it: each folder by its name under the mount path. */
function mountedLocation(location: PackLocation, mountPath: string): PackLocation {
  const inPod = (dir: string) => path.posix.join(mountPath, path.basename(dir));
  return typeof location === 'string' ? inPod(location) : { ...location, dir: inPod(location.dir), refiner: inPod(location.refiner) };
}

/** The overlay's files by name. */
export function renderOverlay(pack: Pack, outDir: string, o: RenderOptions): Record<string, string> {
  const m = pack.manifest;
  for (const name of Object.keys(o.replicas)) {
    if (!m.base.experts.some((e) => e.name === name)) throw new UsageError(`--replicas ${name}=...: pack ${m.name} has no base expert ${name} (it has ${m.base.experts.map((e) => e.name).join(', ')})`);
  }
  const packArgs = packFlags(mountedLocation(pack.location, o.mountPath));
  const volume = { name: 'pack', persistentVolumeClaim: { claimName: o.claim, readOnly: true } };
  const mount = { name: 'pack', mountPath: o.mountPath, readOnly: true };
  const gpu = o.gpu ? { resources: { limits: { 'nvidia.com/gpu': 1 } } } : {};
  const gpuEnv = o.gpu ? [{ name: 'EDIFF_EXECUTION_PROVIDERS', value: 'cuda,cpu' }] : [];
  const probe = { grpc: { port: NODE_PORT } };
  // Real models take minutes to load: the startup probe waits up to 10 minutes before readiness counts.
  const startupProbe = { grpc: { port: NODE_PORT }, periodSeconds: 10, failureThreshold: 60 };
  const node = (name: string, role: string, args: string[], replicas: number) => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, labels: { 'app.kubernetes.io/part-of': 'ediff', 'ediff.dev/pack': m.name } },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name, role }, annotations: { 'prometheus.io/scrape': 'true', 'prometheus.io/port': String(METRICS_PORT) } },
        spec: {
          // SIGTERM drains for up to 30 s (--drain-s); the preStop pause lets endpoints drop the pod first.
          terminationGracePeriodSeconds: 40,
          volumes: [volume],
          containers: [
            {
              name: role,
              image: 'ediff',
              env: [{ name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } }, ...gpuEnv],
              args: [...args, ...packArgs, '--nats', NATS, '--host', '0.0.0.0', '--insecure', '--advertise', '$(POD_IP)', '--port', String(NODE_PORT), '--metrics-port', String(METRICS_PORT)],
              ports: [
                { name: 'grpc', containerPort: NODE_PORT },
                { name: 'metrics', containerPort: METRICS_PORT },
              ],
              volumeMounts: [mount],
              readinessProbe: probe,
              startupProbe,
              lifecycle: { preStop: { exec: { command: ['sleep', '5'] } } },
              ...gpu,
            },
          ],
        },
      },
    },
  });
  const experts = m.base.experts.flatMap((e) => {
    const name = `expert-${e.name}`;
    const replicas = o.replicas[e.name] ?? 1;
    return [
      node(name, 'expert', ['expert-node/main.ts', '--expert', e.name], replicas),
      {
        apiVersion: 'autoscaling/v2',
        kind: 'HorizontalPodAutoscaler',
        metadata: { name },
        spec: {
          scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name },
          minReplicas: replicas,
          maxReplicas: Math.max(8, 2 * replicas),
          metrics: [{ type: 'Pods', pods: { metric: { name: 'ediff_expert_queue_depth' }, target: { type: 'AverageValue', averageValue: '8' } } }],
        },
      },
    ];
  });
  const stages = imageStageNames(m).map((stage) => node(stage, 'sr', ['sr-node/main.ts', '--stage', stage], 1));
  // deploy/base runs the reference pack's experts and SR stages; this pack has its own (one inline patch each: kustomize 5.5 crashes on several in one file).
  const removed = [...REFERENCE_DEPLOYMENTS.map((name) => ['apps/v1', 'Deployment', name]), ...REFERENCE_AUTOSCALERS.map((name) => ['autoscaling/v2', 'HorizontalPodAutoscaler', name])].map(([apiVersion, kind, name]) => ({
    patch: stringify({ $patch: 'delete', apiVersion, kind, metadata: { name } }),
  }));
  // The coordinator and the encoder of deploy/base, pointed at this pack.
  const repoint = (name: string, container: string, args: string[], extra: object) => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name },
    spec: { template: { spec: { volumes: [volume], containers: [{ name: container, args, volumeMounts: [mount], ...extra }] } } },
  });
  // These patches replace the containers' args whole, after deploy/components/tls has added its flags: with --tls, they carry them again.
  const tlsArgs = (role: 'coordinator' | 'node') => (!o.tls ? [] : role === 'coordinator' ? [...COMPONENT_TLS_ARGS, ...COMPONENT_COORDINATOR_ARGS] : [...COMPONENT_TLS_ARGS, ...COMPONENT_NODE_ARGS]);
  const coordinator = repoint('coordinator', 'coordinator', ['coordinator/main.ts', ...packArgs, '--nats', NATS, '--host', '0.0.0.0', '--insecure', '--port', '50051', '--metrics-port', String(METRICS_PORT), '--job-threads', '2', '--http-port', '8080', ...tlsArgs('coordinator')], {});
  const encoder = repoint('encoder', 'encoder', ['encoder-node/main.ts', ...packArgs, '--nats', NATS, '--host', '0.0.0.0', '--insecure', '--advertise', '$(POD_IP)', '--port', String(NODE_PORT), '--metrics-port', String(METRICS_PORT), ...tlsArgs('node')], {
    ...gpu,
    env: [{ name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } }, ...gpuEnv],
    startupProbe,
  });
  const docs = (items: object[]) => items.map((i) => stringify(i, { lineWidth: 0 })).join('---\n');
  const source = typeof pack.location === 'string' ? pack.location : `${pack.location.dir} + refiner ${pack.location.refiner}`;
  const header = `# Rendered by \`ediff deploy render\` for pack ${m.name} (${source}).\n# The pack's folders must be on the PersistentVolumeClaim ${o.claim}, mounted at ${o.mountPath} (each by its folder name).\n`;
  return {
    'kustomization.yaml':
      header +
      stringify({
        apiVersion: 'kustomize.config.k8s.io/v1beta1',
        kind: 'Kustomization',
        resources: [path.relative(outDir, BASE), 'pack.yaml'],
        patches: [...removed, { path: 'coordinator.yaml' }, { path: 'encoder.yaml' }],
        ...(o.tls && { components: [path.relative(outDir, TLS_COMPONENT)] }),
      }),
    'pack.yaml': header + docs([...experts, ...stages]),
    'coordinator.yaml': docs([coordinator]),
    'encoder.yaml': docs([encoder]),
  };
}

const RENDER_USAGE = `usage: ediff deploy render --pack DIR [--refiner DIR [--refiner-at F]] [--replicas EXPERT=N ...]
                          [--out DIR] [--mount-path /models] [--claim ediff-models] [--no-gpu] [--tls]

Writes a kustomize overlay over deploy/base for the pack (default into deploy/overlays/PACK):
one Deployment and autoscaler per base expert, the decode and SR stages, GPU requests, the pack
mounted read-only; with --tls, deploy/components/tls too (TLS and tokens on the public API,
mutual TLS to the nodes, NATS over TLS with a password, from the Secrets ediff-tls, ediff-tokens
and ediff-nats). Render it with
'kubectl kustomize DIR', apply with 'kubectl apply -k DIR'.`;

export async function deployRenderCommand(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: { ...PACK_OPTIONS, replicas: { type: 'string', multiple: true }, out: { type: 'string' }, 'mount-path': { type: 'string', default: '/models' }, claim: { type: 'string', default: 'ediff-models' }, 'no-gpu': { type: 'boolean' }, tls: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    strict: true,
  });
  if (values.help) return void console.log(RENDER_USAGE);
  if (!values.pack) throw new UsageError('deploy render needs --pack DIR');
  const pack = loadPack(packLocationOf(values, false));
  const replicas: Record<string, number> = {};
  for (const r of values.replicas ?? []) {
    const [name, count] = r.split('=');
    const n = Number(count);
    if (!name || !Number.isInteger(n) || n < 1) throw new UsageError(`--replicas takes EXPERT=N with N >= 1, got ${JSON.stringify(r)}`);
    replicas[name] = n;
  }
  const out = path.resolve(values.out ?? path.join(BASE, '..', 'overlays', pack.manifest.name));
  const files = renderOverlay(pack, out, { replicas, mountPath: values['mount-path'], claim: values.claim, gpu: !values['no-gpu'], tls: values.tls ?? false });
  mkdirSync(out, { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(out, name), text);
  console.log(`wrote ${out} (${Object.keys(files).join(', ')}); render it with: kubectl kustomize ${out}`);
}
