/**
 * The `ediff` command line, built on the SDK.
 *
 *   ediff generate "a red circle on a blue background" --size 64 --seed 1 -o out.png
 *   ediff cluster up --port 50051
 *   ediff generate "a red circle" --coordinator 127.0.0.1:50051 -o out.png
 *
 * Bad options print one line and exit with code 2; other failures exit with code 1.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { InvalidArgumentError, PackError } from '../../common/errors.ts';
import { Status } from '../../common/grpc/status.ts';
import { decodeImage, decodeMask, encodePng } from '../../common/image.ts';
import type { PackManifest } from '../../common/pack/manifest.ts';
import { loadPack } from '../../common/pack/load.ts';
import { BUILDABLE_PACKS, ensureBuiltPack } from '../../packs/cache.ts';
import { InProcessPipeline } from '../../common/runtime/in-process.ts';
import { resolveRequest, type JobPriority, type PaintRegion, type SigmaScheduleName } from '../../common/pipeline/request.ts';
import { SAMPLERS } from '../../common/sampling/samplers.ts';
import { EdiffClient, EdiffError, type GenerateRequest } from '../client.ts';
import { startLocalCluster, type LocalCluster } from '../local-cluster.ts';
import { certsCommand } from './certs.ts';
import { connect } from './connect.ts';
import { deployRenderCommand } from './deploy-render.ts';
import { jobsCommand } from './job-commands.ts';
import { inspectCommand, makeTestExportCommand, PACK_OPTIONS, packLocationOf, tokensCommand } from './pack-commands.ts';
import { progressBar } from './progress.ts';
import { UsageError } from './usage.ts';

const USAGE = `usage: ediff <command> [options]

commands:
  generate PROMPT     generate an image from a prompt
  cluster up          start an embedded local cluster and keep it running (Ctrl-C stops it)
  status              show the nodes of a running cluster (--coordinator)
  describe            show the pipeline a running cluster serves (--coordinator)
  jobs list|get|cancel|watch  a running coordinator's jobs (--coordinator; see --help of it)
  certs DIR           a development CA and server / client certificates (openssl), for TLS

A running coordinator (--coordinator) is reached over TLS when EDIFF_CA names its CA's
certificate, with the bearer token in EDIFF_TOKEN when it requires one.
  pack inspect DIR    what ediff reads in a pack or export folder: parts, tensors, schedule, sizes
  tokens PROMPT       the token ids of each text encoder, and the count against its limit (--pack)
  deploy render       write a kustomize overlay that serves a pack on Kubernetes (--pack; see --help of it)
  build-packs         build the packs this project makes into the cache (done on first use anyway)
  make-test-export DIR  write a tiny random-weight Stable Diffusion or SDXL ONNX export (to try --pack
                      with an export when no weights can be downloaded; see --help of it)

generate options:
  -o, --output FILE         PNG to write (default out.png)
      --coordinator ADDR    use a running cluster (HOST:PORT) instead of starting an embedded one
      --in-process          run every model in this process, no cluster
      --priority P          interactive (default) | batch: queued interactive jobs start first
      --detach              with --coordinator: submit the job, print its id and return
                            (then: ediff jobs watch ID)
      --size N              output side: 64, 256 or 1024 (default: the largest the pack makes, 1024);
                            for a Stable Diffusion export, width and height at once
      --width N, --height N Stable Diffusion exports: output size in pixels, multiples of 8
                            (default: the UNet's sample_size x 8)
      --seed N              32-bit seed (default: random, printed)
      --steps N             base sampler steps (default: the pack's, 25)
      --sampler NAME        ${Object.keys(SAMPLERS).join(' | ')} (default: the pack's, heun)
      --guidance W          classifier-free guidance for every base expert (default: each expert's own)
      --negative TEXT       negative prompt
      --style IMAGE         style reference image (PNG, JPEG or WebP)
      --paint PHRASE=MASK   paint-with-words: MASK image, white = where PHRASE goes (repeatable)
      --paint-weight W      paint-with-words strength (default 1)
      --switch-prompt TEXT  switch to this prompt part-way through the base steps
      --switch-at F         fraction of the steps before the switch (default 0.9)
      --expert-guidance E=W guidance of one base expert (repeatable; SDXL: base=5 refiner=3)
      --original-size WxH   SDXL micro-conditioning: the size the image is said to come from
                            (default: the output's)
      --crop TOP,LEFT       SDXL micro-conditioning: the crop's corner (default 0,0)
      --aesthetic-score S   SDXL refiner: the aesthetic score (default 6; negative branch:
                            --negative-aesthetic-score, default 2.5)
      --sigma-schedule S    karras (default) | timesteps: an export's diffusers timesteps, which
                            split the steps at --refiner-at as diffusers does
      --pack DIR|NAME       model pack folder, export folder, ensemble, or a pack this project
                            builds: ${Object.keys(BUILDABLE_PACKS).join(', ')} (default reference)
      --refiner DIR         SDXL: the refiner's export, composed with --pack (the base)
      --refiner-at F        where the refiner takes over, diffusers' denoising_end (default 0.8)
  -q, --quiet               no progress bar or summary
  -h, --help                this text

cluster up options:
      --port N              the coordinator's port (default 50051; 0 = any free port)
      --host H              the address every process binds (default 127.0.0.1)
      --http-port N         the coordinator's HTTP API and web UI (default 8080, or any free port with --port 0)
      --replicas N          expert nodes per base expert (default 1)
      --nats URL            register the nodes in NATS and let the coordinator discover them
      --pack DIR|NAME       as above (and --refiner DIR, --refiner-at F)
      --verbose             show every node's log`;

const GENERATE_OPTIONS = {
  output: { type: 'string', short: 'o' },
  coordinator: { type: 'string' },
  'in-process': { type: 'boolean' },
  detach: { type: 'boolean' },
  size: { type: 'string' },
  width: { type: 'string' },
  height: { type: 'string' },
  seed: { type: 'string' },
  steps: { type: 'string' },
  sampler: { type: 'string' },
  guidance: { type: 'string' },
  negative: { type: 'string' },
  style: { type: 'string' },
  paint: { type: 'string', multiple: true },
  'paint-weight': { type: 'string' },
  'switch-prompt': { type: 'string' },
  'switch-at': { type: 'string' },
  'expert-guidance': { type: 'string', multiple: true },
  'original-size': { type: 'string' },
  crop: { type: 'string' },
  'aesthetic-score': { type: 'string' },
  'negative-aesthetic-score': { type: 'string' },
  'sigma-schedule': { type: 'string' },
  priority: { type: 'string' },
  ...PACK_OPTIONS,
  quiet: { type: 'boolean', short: 'q' },
  help: { type: 'boolean', short: 'h' },
} as const;

function number(flag: string, value: string | undefined, integer = false): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || (integer && !Number.isInteger(n))) throw new UsageError(`--${flag} must be ${integer ? 'an integer' : 'a number'}, got ${JSON.stringify(value)}`);
  return n;
}

function readInput(flag: string, file: string): Uint8Array {
  try {
    return readFileSync(file);
  } catch (cause) {
    throw new UsageError(`--${flag}: cannot read ${file}: ${(cause as NodeJS.ErrnoException).code ?? (cause as Error).message}`);
  }
}

function parsePaint(values: readonly string[] = []): PaintRegion[] {
  return values.map((v) => {
    const at = v.lastIndexOf('=');
    if (at <= 0 || at === v.length - 1) throw new UsageError(`--paint takes PHRASE=MASK.png, got ${JSON.stringify(v)}`);
    return { phrase: v.slice(0, at), mask: readInput('paint', v.slice(at + 1)) };
  });
}

type GenerateValues = ReturnType<typeof parseArgs<{ options: typeof GENERATE_OPTIONS; allowPositionals: true; strict: true }>>['values'];

function buildRequest(prompt: string, values: GenerateValues): GenerateRequest {
  if (values['switch-at'] !== undefined && values['switch-prompt'] === undefined) throw new UsageError('--switch-at needs --switch-prompt');
  return {
    prompt,
    ...(values.size !== undefined && { size: number('size', values.size, true)! }),
    ...(values.width !== undefined && { width: number('width', values.width, true)! }),
    ...(values.height !== undefined && { height: number('height', values.height, true)! }),
    ...(values.seed !== undefined && { seed: number('seed', values.seed, true)! }),
    ...(values.steps !== undefined && { steps: number('steps', values.steps, true)! }),
    ...(values.sampler !== undefined && { sampler: values.sampler }),
    ...(values.guidance !== undefined && { guidance: number('guidance', values.guidance)! }),
    ...(values.negative !== undefined && { negativePrompt: values.negative }),
    ...(values.style !== undefined && { style: readInput('style', values.style) }),
    ...(values['paint-weight'] !== undefined && { paintWeight: number('paint-weight', values['paint-weight'])! }),
    paint: parsePaint(values.paint),
    ...(values['switch-prompt'] !== undefined && { promptSwitch: { prompt: values['switch-prompt'], atFraction: number('switch-at', values['switch-at']) ?? 0.9 } }),
    ...(values['expert-guidance'] && { expertGuidance: parseExpertGuidance(values['expert-guidance']) }),
    ...(values['original-size'] !== undefined && (([w, h]) => ({ originalWidth: w, originalHeight: h }))(pair('original-size', values['original-size'], 'x'))),
    ...(values.crop !== undefined && (([top, left]) => ({ cropTop: top, cropLeft: left }))(pair('crop', values.crop, ','))),
    ...(values['aesthetic-score'] !== undefined && { aestheticScore: number('aesthetic-score', values['aesthetic-score'])! }),
    ...(values['negative-aesthetic-score'] !== undefined && { negativeAestheticScore: number('negative-aesthetic-score', values['negative-aesthetic-score'])! }),
    ...(values['sigma-schedule'] !== undefined && { sigmaSchedule: values['sigma-schedule'] as SigmaScheduleName }),
    ...(values.priority !== undefined && { priority: values.priority as JobPriority }),
  };
}

/** Two whole numbers joined by `sep` (1024x768, 0,0). */
function pair(flag: string, value: string, sep: string): [number, number] {
  const parts = value.split(sep);
  if (parts.length !== 2) throw new UsageError(`--${flag} takes two whole numbers joined by ${JSON.stringify(sep)}, got ${JSON.stringify(value)}`);
  return [number(flag, parts[0], true)!, number(flag, parts[1], true)!];
}

/** --expert-guidance NAME=W, repeatable. */
function parseExpertGuidance(values: readonly string[]): Record<string, number> {
  return Object.fromEntries(
    values.map((v) => {
      const at = v.indexOf('=');
      if (at <= 0) throw new UsageError(`--expert-guidance takes EXPERT=W, got ${JSON.stringify(v)}`);
      return [v.slice(0, at), number('expert-guidance', v.slice(at + 1))!];
    }),
  );
}

/** Stops the work (cluster, job) on Ctrl-C; a second Ctrl-C exits at once. */
function interruptible(): AbortController {
  const abort = new AbortController();
  process.once('SIGINT', () => {
    process.stderr.write('\nediff: interrupted, stopping\n');
    abort.abort(Object.assign(new Error('interrupted'), { name: 'AbortError' }));
    process.once('SIGINT', () => process.exit(130));
  });
  return abort;
}

async function generate(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({ args, options: GENERATE_OPTIONS, allowPositionals: true, strict: true });
  if (values.help) return void console.log(USAGE);
  if (positionals.length !== 1) throw new UsageError(positionals.length === 0 ? 'generate needs a PROMPT (quote it)' : `generate takes one PROMPT; quote it (got ${positionals.length} words)`);
  if (values['in-process'] && values.coordinator) throw new UsageError('--in-process and --coordinator exclude each other');
  if (values.detach && !values.coordinator) throw new UsageError('--detach needs --coordinator (an embedded cluster stops when the command ends)');
  if (values.detach) {
    const client = connect(values.coordinator!);
    try {
      return void console.log((await client.submit(buildRequest(positionals[0]!, values))).id);
    } finally {
      client.close();
    }
  }
  const quiet = values.quiet ?? false;
  const output = values.output ?? 'out.png';
  const request = buildRequest(positionals[0]!, values);
  const bar = progressBar(!quiet && process.stderr.isTTY === true);
  const abort = interruptible();
  let cluster: LocalCluster | null = null;
  let result: { png: Buffer | Uint8Array; seed: number; width: number; height: number; stages: { stage: string; ms: number }[]; warnings: string[] };
  try {
    if (values.coordinator) {
      result = await viaCoordinator(values.coordinator, request, bar.update, abort.signal, true);
    } else {
      const pack = loadPack(packLocationOf(values, quiet));
      await preflight(pack.manifest, request); // bad options fail here, before anything starts
      if (values['in-process']) {
        const pipeline = await InProcessPipeline.load(pack);
        try {
          const r = await pipeline.generate(request, { onProgress: bar.update, signal: abort.signal });
          result = { ...r, png: await encodePng(r.image) };
        } finally {
          await pipeline.release();
        }
      } else {
        if (!quiet) process.stderr.write('starting an embedded local cluster (use --coordinator to reuse a running one)\n');
        cluster = await startLocalCluster({ pack: pack.location });
        result = await viaCoordinator(cluster.address, request, bar.update, abort.signal, false);
      }
    }
  } finally {
    bar.stop();
    await cluster?.stop();
  }
  writeFileSync(output, result.png);
  for (const warning of result.warnings) process.stderr.write(`ediff: warning: ${warning}\n`);
  if (!quiet) {
    const total = result.stages.reduce((a, s) => a + s.ms, 0);
    const stages = result.stages.map((s) => `${s.stage} ${(s.ms / 1000).toFixed(2)} s`).join(', ');
    process.stderr.write(`wrote ${output} (${result.width}x${result.height}, seed ${result.seed}) in ${(total / 1000).toFixed(2)} s: ${stages}\n`);
  }
}

/** Checks what can be checked locally (values, images) before any model or node starts. */
async function preflight(manifest: PackManifest, request: GenerateRequest): Promise<void> {
  resolveRequest(manifest, request);
  if (request.style) await decodeImage(request.style, '--style', 8);
  for (const [i, p] of (request.paint ?? []).entries()) await decodeMask(p.mask, `paint[${i}].mask`, 8);
}

/** Runs the job on a coordinator: a running one (EDIFF_CA, EDIFF_TOKEN apply), or the embedded cluster (plaintext, no token). */
async function viaCoordinator(address: string, request: GenerateRequest, onEvent: (e: { type: string }) => void, signal: AbortSignal, remote: boolean) {
  const client = remote ? connect(address) : new EdiffClient(address);
  try {
    return await client.generateImage(request, { onEvent, signal });
  } finally {
    client.close();
  }
}

async function clusterUp(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      port: { type: 'string', default: '50051' },
      'http-port': { type: 'string' },
      host: { type: 'string', default: '127.0.0.1' },
      ...PACK_OPTIONS,
      replicas: { type: 'string', default: '1' },
      nats: { type: 'string' },
      verbose: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) return void console.log(USAGE);
  const port = number('port', values.port, true)!;
  const replicas = number('replicas', values.replicas, true)!;
  const httpPort = number('http-port', values['http-port'] ?? (port === 0 ? '0' : '8080'), true)!;
  if (replicas < 1) throw new UsageError(`--replicas must be at least 1, got ${replicas}`);
  let giveUp = () => {};
  const gaveUp = new Promise<void>((resolve) => (giveUp = resolve));
  const cluster = await startLocalCluster({
    pack: packLocationOf(values, false),
    host: values.host,
    port,
    replicas,
    coordinatorArgs: ['--http-port', String(httpPort)],
    ...(values.nats && { nats: values.nats }),
    ...(values.verbose && { log: (line: string) => process.stderr.write(`${line}\n`) }),
    // A child that dies is restarted on its address; one that keeps dying ends the cluster, with a clear line and exit code 1.
    supervise: {
      onRestart: (line) => process.stderr.write(`ediff: ${line}\n`),
      onGiveUp: (line) => {
        process.stderr.write(`ediff: ${line}\n`);
        giveUp();
      },
    },
  });
  for (const n of cluster.nodes) process.stderr.write(`  ${n.role.padEnd(12)} ${n.name.padEnd(8)} ${n.address.padEnd(21)} metrics http://${n.metrics}/metrics  pid ${n.pid}\n`);
  process.stderr.write(`  ${'coordinator'.padEnd(12)} ${''.padEnd(8)} ${cluster.address.padEnd(21)} metrics http://${cluster.coordinator.metrics}/metrics  pid ${cluster.coordinator.pid}\n`);
  console.log(`coordinator listening on ${cluster.address}`);
  console.log(`web UI on http://${cluster.coordinator.http}/`);
  console.log(`HTTP API (OpenAI images) on http://${cluster.coordinator.http}/v1`);
  const stopped = await Promise.race([
    new Promise<'signal'>((resolve) => {
      process.once('SIGINT', () => resolve('signal'));
      process.once('SIGTERM', () => resolve('signal'));
    }),
    gaveUp.then(() => 'gave up' as const),
  ]);
  if (stopped === 'gave up') {
    await cluster.stop();
    process.exitCode = 1;
    return;
  }
  process.stderr.write('stopping the cluster\n');
  await cluster.stop();
}

async function query(command: 'status' | 'describe', args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { coordinator: { type: 'string' }, help: { type: 'boolean', short: 'h' } }, strict: true });
  if (values.help) return void console.log(USAGE);
  if (!values.coordinator) throw new UsageError(`${command} needs --coordinator HOST:PORT`);
  const client = connect(values.coordinator);
  try {
    if (command === 'describe') return void console.log(JSON.stringify(await client.describePipeline(), null, 2));
    const status = await client.clusterStatus();
    console.log(`coordinator ${status.coordinator}`);
    for (const n of status.nodes) console.log(`  ${n.role.padEnd(8)} ${n.name.padEnd(8)} ${n.address.padEnd(21)} ${n.health.padEnd(12)} outstanding ${n.outstanding}, completed ${n.completed}`);
  } finally {
    client.close();
  }
}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'generate':
      return generate(rest);
    case 'cluster':
      if (rest[0] !== 'up') throw new UsageError('try: ediff cluster up [--port N]');
      return clusterUp(rest.slice(1));
    case 'status':
    case 'describe':
      return query(command, rest);
    case 'pack':
      if (rest[0] !== 'inspect') throw new UsageError('try: ediff pack inspect DIR');
      return inspectCommand(rest.slice(1));
    case 'tokens':
      return tokensCommand(rest);
    case 'jobs':
      return jobsCommand(rest);
    case 'certs':
      return certsCommand(rest);
    case 'deploy':
      if (rest[0] !== 'render') throw new UsageError('try: ediff deploy render --pack DIR');
      return deployRenderCommand(rest.slice(1));
    case 'make-test-export':
      return makeTestExportCommand(rest);
    case 'build-packs':
      for (const name of Object.keys(BUILDABLE_PACKS)) console.log(ensureBuiltPack(name));
      return;
    case undefined:
    case '-h':
    case '--help':
    case 'help':
      return void console.log(USAGE);
    default:
      throw new UsageError(`unknown command ${JSON.stringify(command)}; try ediff --help`);
  }
}

/** Exit code 2 for what the caller can fix in the command line or request, 1 for the rest. */
function exitCode(error: unknown): number {
  if (error instanceof UsageError || error instanceof InvalidArgumentError || error instanceof PackError) return 2;
  if (error instanceof EdiffError && error.code === Status.INVALID_ARGUMENT) return 2;
  if ((error as { code?: string }).code?.startsWith?.('ERR_PARSE_ARGS')) return 2;
  return 1;
}

try {
  await main(process.argv.slice(2));
  process.exit(0);
} catch (error) {
  const code = exitCode(error);
  const message = error instanceof EdiffError && code === 2 ? error.details : (error as Error).message;
  const debug = code === 1 && !(error instanceof EdiffError) && process.env.EDIFF_DEBUG;
  process.stderr.write(`ediff: ${message}${debug ? `\n${(error as Error).stack}` : ''}\n`);
  process.exit((error as Error).name === 'AbortError' ? 130 : code);
}
