/**
 * Loading and validating a model pack. Every problem is a PackError naming the file and field.
 */
import { createHash } from 'node:crypto';
import { closeSync, existsSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import path from 'node:path';
import { PackError } from '../errors.ts';
import { MODEL_INDEX_FILE, readExport, type ExportLayout } from './export.ts';
import { Reader, readJsonFile, type Json } from './json-reader.ts';
import { readModelSignature, type ModelSignature } from './onnx-signature.ts';
import { SAMPLERS, type SamplerName } from '../sampling/samplers.ts';
import {
  BUILTIN_EXPERT_INPUTS,
  expertIo,
  MANIFEST_FILE,
  PACK_FORMAT,
  type DecodeStage,
  type DiscreteSchedule,
  type LatentSpec,
  type TokenizerFiles,
  type EncoderKind,
  type EncoderSpec,
  type ExpertSpec,
  type PackManifest,
  type PaintSpec,
  type Parameterization,
  type SamplingDefaults,
  type SuperResolutionStage,
} from './manifest.ts';

/** Where a pack came from: an ediff pack (`pack.json`), or an export folder read in place. */
export type PackSource = { kind: 'pack' } | { kind: 'export'; layout: ExportLayout; warnings: string[] };

/** A loaded, validated pack. */
export interface Pack {
  dir: string;
  manifest: PackManifest;
  /** sha256 over the manifest and every file of the pack (see hashFile): two nodes serve the same model iff equal. */
  hash: string;
  source: PackSource;
}

const ENCODER_KINDS: readonly EncoderKind[] = ['t5-text', 'clip-text', 'clip-image'];

function readSchedule(r: Reader): DiscreteSchedule {
  const kind = r.field('beta_schedule').oneOf(['linear', 'scaled_linear'] as const, 'beta schedule');
  const beta = (key: string) => r.field(key).number((n) => n > 0 && n < 1, 'in (0, 1)');
  return {
    beta_schedule: kind,
    beta_start: beta('beta_start'),
    beta_end: beta('beta_end'),
    timesteps: r.has('timesteps') ? r.field('timesteps').positiveInt() : 1000,
  };
}

function readParameterization(r: Reader): Parameterization {
  const type = r.field('type').string();
  switch (type) {
    case 'edm':
      return { type };
    case 'eps':
    case 'v':
      return { type, schedule: readSchedule(r.field('schedule')) };
    default:
      return r.field('type').fail(`unknown parameterization ${JSON.stringify(type)} (known: edm, eps, v)`);
  }
}

function readExpert(r: Reader): ExpertSpec {
  const hi = r.field('sigma_hi');
  return {
    name: r.field('name').string(),
    model: r.field('model').string(),
    sigma_lo: r.field('sigma_lo').number((n) => n >= 0, 'a number >= 0'),
    sigma_hi: hi.value === null ? null : hi.number((n) => n > 0, 'a number > 0 or null (infinity)'),
    parameterization: readParameterization(r.field('parameterization')),
    inputs: r.field('inputs').array().map((i) => i.string()),
    ...(r.has('tensors') && { tensors: { x: r.field('tensors').field('x').string(), noise: r.field('tensors').field('noise').string(), output: r.field('tensors').field('output').string() } }),
    ...(r.has('guidance') && { guidance: r.field('guidance').number((n) => n >= 0, 'a number >= 0') }),
    ...(r.has('max_batch') && { max_batch: r.field('max_batch').positiveInt() }),
    ...(r.has('max_delay_ms') && { max_delay_ms: r.field('max_delay_ms').number((n) => n >= 0, 'a number >= 0') }),
  };
}

function readSampling(r: Reader): SamplingDefaults {
  const sampler = r.field('sampler').oneOf(Object.keys(SAMPLERS) as SamplerName[], 'sampler');
  const sigmaMin = r.field('sigma_min').number((n) => n > 0, 'a number > 0');
  return {
    sampler,
    steps: r.field('steps').positiveInt(),
    sigma_min: sigmaMin,
    sigma_max: r.field('sigma_max').number((n) => n > sigmaMin, `a number > sigma_min (${sigmaMin})`),
    rho: r.has('rho') ? r.field('rho').number((n) => n > 0, 'a number > 0') : 7,
  };
}

function readEncoder(r: Reader): EncoderSpec {
  const kind = r.field('kind').oneOf(ENCODER_KINDS, 'encoder kind');
  const text = kind !== 'clip-image';
  return {
    name: r.field('name').string(),
    kind,
    model: r.field('model').string(),
    ...(text ? { tokenizer: readTokenizer(r.field('tokenizer')), max_tokens: r.field('max_tokens').positiveInt() } : { image_size: r.field('image_size').positiveInt() }),
    ...(text && r.has('pad_token') && { pad_token: r.field('pad_token').string() }),
    outputs: r.field('outputs').stringMap(),
  };
}

/** A tokenizer.json path, or CLIP's {vocab, merges}. */
function readTokenizer(r: Reader): TokenizerFiles {
  return typeof r.value === 'string' ? r.string() : { vocab: r.field('vocab').string(), merges: r.field('merges').string() };
}

function readLatent(r: Reader): LatentSpec {
  const fixed = r.has('fixed') && r.field('fixed').value !== null ? r.field('fixed') : null;
  const rgb = r.has('preview_rgb') && r.field('preview_rgb').value !== null ? r.field('preview_rgb') : null;
  return {
    factor: r.field('factor').positiveInt(),
    multiple: r.has('multiple') ? r.field('multiple').positiveInt() : 1,
    fixed: fixed ? { height: fixed.field('height').positiveInt(), width: fixed.field('width').positiveInt() } : null,
    preview_rgb: rgb ? rgb.array().map((row) => row.array().map((v) => v.number())) : null,
  };
}

function readDecode(r: Reader): DecodeStage {
  const tensors = r.has('tensors') ? r.field('tensors') : null;
  return {
    name: r.field('name').string(),
    model: r.field('model').string(),
    scaling_factor: r.field('scaling_factor').number((n) => n > 0, 'a number > 0'),
    tensors: tensors ? { input: tensors.field('input').string(), output: tensors.field('output').string() } : { input: 'latent_sample', output: 'sample' },
  };
}

function readManifest(file: string, json: Json): PackManifest {
  const r = new Reader(file, json, '');
  const format = r.field('format').oneOf([PACK_FORMAT] as const, 'pack format');
  const base = r.field('base');
  const defaults = r.field('defaults');
  const paint = r.has('paint') ? r.field('paint') : null;
  return {
    format,
    name: r.field('name').string(),
    ...(r.has('description') && { description: r.field('description').string() }),
    encoders: r.field('encoders').array().map(readEncoder),
    base: {
      channels: base.field('channels').positiveInt(),
      size: base.field('size').positiveInt(),
      experts: base.field('experts').array().map(readExpert),
      ...(base.has('latent') && { latent: readLatent(base.field('latent')) }),
    },
    ...(r.has('decode') && { decode: readDecode(r.field('decode')) }),
    ...(paint && {
      paint: { tokens: paint.field('tokens').string(), encoder: paint.field('encoder').string(), size: paint.field('size').positiveInt() } satisfies PaintSpec,
    }),
    super_resolution: (r.has('super_resolution') ? r.field('super_resolution').array() : []).map(
      (s): SuperResolutionStage => ({
        name: s.field('name').string(),
        from_size: s.field('from_size').positiveInt(),
        size: s.field('size').positiveInt(),
        ...readSampling(s),
        experts: s.field('experts').array().map(readExpert),
      }),
    ),
    defaults: {
      ...readSampling(defaults),
      guidance: defaults.field('guidance').number((n) => n >= 0, 'a number >= 0'),
      paint_weight: defaults.has('paint_weight') ? defaults.field('paint_weight').number((n) => n >= 0, 'a number >= 0') : 1,
    },
  };
}

const fmt = (hi: number | null) => (hi === null ? 'inf' : String(hi));

/** Checks that the experts' half-open ranges [sigma_lo, sigma_hi) tile [0, inf) with no gap and no overlap. */
export function checkTiling(file: string, where: string, experts: ExpertSpec[]): void {
  if (experts.length === 0) throw new PackError(file, where, 'needs at least one expert');
  const order = experts.map((e, i) => ({ e, i })).sort((a, b) => a.e.sigma_lo - b.e.sigma_lo);
  const label = ({ e, i }: { e: ExpertSpec; i: number }) => `${where}[${i}] (${e.name}, [${e.sigma_lo}, ${fmt(e.sigma_hi)}))`;
  if (order[0]!.e.sigma_lo !== 0) throw new PackError(file, `${where}[${order[0]!.i}].sigma_lo`, `the lowest range must start at 0 so that sigma -> 0 has an expert; ${label(order[0]!)} starts at ${order[0]!.e.sigma_lo}`);
  for (const [k, cur] of order.entries()) {
    const next = order[k + 1];
    if (cur.e.sigma_hi !== null && cur.e.sigma_hi <= cur.e.sigma_lo) throw new PackError(file, `${where}[${cur.i}].sigma_hi`, `empty range: ${label(cur)}`);
    if (!next) {
      if (cur.e.sigma_hi !== null) throw new PackError(file, `${where}[${cur.i}].sigma_hi`, `the highest range must end at null (infinity); ${label(cur)} leaves sigma >= ${cur.e.sigma_hi} with no expert`);
      break;
    }
    if (cur.e.sigma_hi === null || cur.e.sigma_hi > next.e.sigma_lo) throw new PackError(file, `${where}[${next.i}].sigma_lo`, `ranges overlap: ${label(cur)} and ${label(next)}`);
    if (cur.e.sigma_hi < next.e.sigma_lo) throw new PackError(file, `${where}[${next.i}].sigma_lo`, `gap [${cur.e.sigma_hi}, ${next.e.sigma_lo}) between ${label(cur)} and ${label(next)}`);
  }
}

class PackChecker {
  readonly files = new Set<string>();
  constructor(
    readonly dir: string,
    readonly file: string,
  ) {}

  /** Checks a named file exists inside the pack; returns its absolute path. */
  fileAt(field: string, rel: string): string {
    const abs = path.resolve(this.dir, rel);
    if (path.relative(this.dir, abs).startsWith('..')) throw new PackError(this.file, field, `${rel} points outside the pack folder`);
    if (!existsSync(abs)) throw new PackError(this.file, field, `file not found: ${abs}`);
    this.files.add(rel);
    return abs;
  }

  /**
   * Checks the ONNX file has exactly the inputs and at least the outputs the manifest says, and
   * that the external data files it names are there.
   */
  signature(field: string, rel: string, inputs: string[], outputs: string[]): ModelSignature {
    const abs = this.fileAt(field, rel);
    let signature: ModelSignature;
    try {
      signature = readModelSignature(abs);
    } catch (cause) {
      throw new PackError(this.file, field, `${rel} is not a readable ONNX model (${(cause as Error).message})`, { cause });
    }
    const names = signature.inputs.map((v) => v.name);
    for (const name of inputs) {
      if (!names.includes(name)) throw new PackError(this.file, field, `${rel} has no input named ${JSON.stringify(name)} (its inputs: ${names.join(', ')})`);
    }
    for (const name of names) {
      if (!inputs.includes(name)) throw new PackError(this.file, field, `${rel} needs an input ${JSON.stringify(name)} that the manifest does not feed (declare it in inputs)`);
    }
    const outputNames = signature.outputs.map((v) => v.name);
    for (const name of outputs) {
      if (!outputNames.includes(name)) throw new PackError(this.file, field, `${rel} has no output named ${JSON.stringify(name)} (its outputs: ${outputNames.join(', ')})`);
    }
    for (const data of signature.externalData) {
      const dataRel = path.join(path.dirname(rel), data);
      if (!existsSync(path.join(this.dir, dataRel))) throw new PackError(this.file, field, `${rel} keeps its weights in ${data}, which is missing (${path.join(this.dir, dataRel)})`);
      this.files.add(dataRel);
    }
    return signature;
  }
}

/** Checks every file and name the manifest refers to; returns the files the pack is made of. */
export function checkPack(dir: string, file: string, m: PackManifest): Set<string> {
  const c = new PackChecker(dir, file);
  const conditioning = new Set<string>();
  const encoderNames = new Set<string>();
  m.encoders.forEach((e, i) => {
    const at = `encoders[${i}]`;
    if (encoderNames.has(e.name)) throw new PackError(c.file, `${at}.name`, `duplicate encoder name ${e.name}`);
    encoderNames.add(e.name);
    if (typeof e.tokenizer === 'string') c.fileAt(`${at}.tokenizer`, e.tokenizer);
    else if (e.tokenizer) {
      c.fileAt(`${at}.tokenizer.vocab`, e.tokenizer.vocab);
      c.fileAt(`${at}.tokenizer.merges`, e.tokenizer.merges);
    }
    c.signature(`${at}.model`, e.model, [e.kind === 'clip-image' ? 'image' : 'input_ids'], Object.keys(e.outputs));
    for (const name of Object.values(e.outputs)) {
      if (conditioning.has(name)) throw new PackError(c.file, `${at}.outputs`, `conditioning ${name} is produced twice`);
      conditioning.add(name);
    }
  });
  if (m.paint) {
    if (!conditioning.has(m.paint.tokens)) throw new PackError(c.file, 'paint.tokens', `${m.paint.tokens} is no encoder's output`);
    const enc = m.encoders.find((e) => e.name === m.paint!.encoder);
    if (!enc || enc.kind === 'clip-image') throw new PackError(c.file, 'paint.encoder', `${m.paint.encoder} is not a text encoder of this pack`);
  }
  const checkExperts = (where: string, experts: ExpertSpec[], extraInputs: string[]) => {
    checkTiling(c.file, where, experts);
    experts.forEach((e, i) => {
      const at = `${where}[${i}]`;
      for (const input of e.inputs) {
        const builtin = (BUILTIN_EXPERT_INPUTS as readonly string[]).includes(input);
        if (builtin && !m.paint) throw new PackError(c.file, `${at}.inputs`, `${input} needs a paint section in the manifest`);
        if (!builtin && !conditioning.has(input)) throw new PackError(c.file, `${at}.inputs`, `${input} is no encoder's output (known: ${[...conditioning, ...BUILTIN_EXPERT_INPUTS].join(', ')})`);
      }
      const io = expertIo(e);
      c.signature(`${at}.model`, e.model, [io.x, io.noise, ...extraInputs, ...e.inputs], [io.output]);
    });
  };
  checkExperts('base.experts', m.base.experts, []);
  if (m.decode) {
    if (!m.base.latent) throw new PackError(c.file, 'decode', 'a decode stage needs a latent base stage');
    c.signature('decode.model', m.decode.model, [m.decode.tensors.input], [m.decode.tensors.output]);
  }
  if (m.base.latent && !m.decode) throw new PackError(c.file, 'base.latent', 'a latent base stage needs a decode stage to turn its latents into pixels');
  // SR stages take the base stage's square image: a latent pack's decoded at its default size.
  let size = m.base.size * (m.base.latent?.factor ?? 1);
  m.super_resolution.forEach((s, i) => {
    const at = `super_resolution[${i}]`;
    if (s.from_size !== size) throw new PackError(c.file, `${at}.from_size`, `must be ${size}, the size of the stage before it`);
    if (s.size <= s.from_size) throw new PackError(c.file, `${at}.size`, `must be larger than from_size (${s.from_size})`);
    size = s.size;
    checkExperts(`${at}.experts`, s.experts, ['low_res']);
  });
  return c.files;
}

/** Files up to this size are hashed whole; larger ones (UNet weights, 3-10 GB) are sampled. */
const WHOLE_HASH_BYTES = 64 * 1024 * 1024;
const SAMPLES = 16;
const SAMPLE_BYTES = 1024 * 1024;

/**
 * Adds a file to the pack hash: its size and content; past WHOLE_HASH_BYTES, its size and 16
 * evenly spaced 1 MiB samples (first and last included). Every process of a cluster hashes the
 * pack at start, and reading 10 GB each time would take minutes; two exports that differ only
 * between the samples of a weights file of the same size would get one hash.
 */
function hashFile(hash: ReturnType<typeof createHash>, file: string): void {
  const size = statSync(file).size;
  hash.update(`${size}:`);
  if (size <= WHOLE_HASH_BYTES) {
    hash.update(readFileSync(file));
    return;
  }
  const fd = openSync(file, 'r');
  try {
    const sample = Buffer.alloc(SAMPLE_BYTES);
    for (let i = 0; i < SAMPLES; i++) {
      const offset = Math.floor(((size - SAMPLE_BYTES) * i) / (SAMPLES - 1));
      hash.update(sample.subarray(0, readSync(fd, sample, 0, SAMPLE_BYTES, offset)));
    }
  } finally {
    closeSync(fd);
  }
}

/**
 * Loads and validates a pack: `DIR/pack.json` (an ediff pack), or an export folder as it ships,
 * detected by its `model_index.json` (Hugging Face Optimum's ONNX export of Stable Diffusion, or
 * the legacy diffusers ONNX layout; see export.ts). Hashes the pack.
 */
export function loadPack(dir: string): Pack {
  const abs = path.resolve(dir);
  const manifestFile = path.join(abs, MANIFEST_FILE);
  let file: string;
  let manifest: PackManifest;
  let source: PackSource;
  const extra: string[] = [];
  if (existsSync(manifestFile)) {
    file = manifestFile;
    manifest = readManifest(file, readJsonFile(file).value);
    source = { kind: 'pack' };
  } else if (existsSync(path.join(abs, MODEL_INDEX_FILE))) {
    const read = readExport(abs);
    file = read.file;
    manifest = read.manifest;
    source = { kind: 'export', layout: read.layout, warnings: read.warnings };
    extra.push(...read.files);
  } else if (!existsSync(abs)) {
    throw new PackError(abs, '', 'no such folder');
  } else {
    throw new PackError(abs, '', `neither ${MANIFEST_FILE} (an ediff pack) nor ${MODEL_INDEX_FILE} (a diffusers or Optimum ONNX export) is here`);
  }
  const files = checkPack(abs, file, manifest);
  const hash = createHash('sha256');
  hash.update(JSON.stringify(manifest));
  for (const rel of [...new Set([...files, ...extra])].sort()) {
    hash.update(rel);
    hashFile(hash, path.join(abs, rel));
  }
  return { dir: abs, manifest, hash: hash.digest('hex'), source };
}
