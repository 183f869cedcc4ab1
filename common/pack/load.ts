/**
 * Loading and validating a model pack. Every problem is a PackError naming the file and field.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { PackError } from '../errors.ts';
import { hashFile } from './file-hash.ts';
import { baseAndRefiner, composeEnsemble, ENSEMBLE_FORMAT, readEnsemble, type Ensemble } from './ensemble.ts';
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
  type DerivedConditioning,
  type DiscreteSchedule,
  type ExpertTensorNames,
  expertInputName,
  MICRO_FIELDS,
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

/** Where a pack came from: an ediff pack (`pack.json`), an export folder read in place, or an ensemble of export folders. */
export type PackSource =
  | { kind: 'pack' }
  | { kind: 'export'; layout: ExportLayout; warnings: string[] }
  | { kind: 'ensemble'; parts: { name: string; dir: string; layout: ExportLayout }[]; warnings: string[] };

/** A loaded, validated pack. */
export interface Pack {
  dir: string;
  manifest: PackManifest;
  /** sha256 over the manifest and every file of the pack (see hashFile): two nodes serve the same model iff equal. */
  hash: string;
  source: PackSource;
  /** What was loaded, with absolute paths (packFlags gives the flags that load it again). */
  location: PackLocation;
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
    ...(r.has('tensors') && { tensors: readTensorNames(r.field('tensors')) }),
    ...(r.has('guidance') && { guidance: r.field('guidance').number((n) => n >= 0, 'a number >= 0') }),
    ...(r.has('max_batch') && { max_batch: r.field('max_batch').positiveInt() }),
    ...(r.has('max_delay_ms') && { max_delay_ms: r.field('max_delay_ms').number((n) => n >= 0, 'a number >= 0') }),
  };
}

function readTensorNames(r: Reader): ExpertTensorNames {
  return {
    x: r.field('x').string(),
    noise: r.field('noise').string(),
    output: r.field('output').string(),
    ...(r.has('inputs') && { inputs: r.field('inputs').stringMap() }),
  };
}

function readDerived(r: Reader): DerivedConditioning {
  const name = r.field('name').string();
  if (r.has('time_ids')) return { name, time_ids: r.field('time_ids').array().map((f) => f.oneOf(MICRO_FIELDS, 'micro-conditioning field')) };
  const join = r.field('join').array().map((f) => f.string());
  if (join.length === 0) r.field('join').fail('must name at least one encoder output');
  return { name, join, ...(r.has('zero_for_empty_negative') && { zero_for_empty_negative: r.field('zero_for_empty_negative').boolean() }) };
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
    ...(r.has('upcast') && { upcast: r.field('upcast').boolean() }),
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
    ...(r.has('conditioning') && { conditioning: r.field('conditioning').array().map(readDerived) }),
    ...(r.has('recommended_sizes') && {
      recommended_sizes: r.field('recommended_sizes').array().map((size): [number, number] => {
        const [w, h] = size.array();
        if (!w || !h || size.array().length !== 2) size.fail('must be [width, height]');
        return [w.positiveInt(), h.positiveInt()];
      }),
    }),
    defaults: {
      ...readSampling(defaults),
      guidance: defaults.field('guidance').number((n) => n >= 0, 'a number >= 0'),
      paint_weight: defaults.has('paint_weight') ? defaults.field('paint_weight').number((n) => n >= 0, 'a number >= 0') : 1,
      ...(defaults.has('timesteps') && {
        timesteps: {
          spacing: defaults.field('timesteps').field('spacing').oneOf(['leading', 'trailing', 'linspace'] as const, 'timestep spacing'),
          steps_offset: defaults.field('timesteps').has('steps_offset') ? defaults.field('timesteps').field('steps_offset').number((n) => Number.isInteger(n) && n >= 0, 'a whole number >= 0') : 0,
        },
      }),
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
    /** Files must lie inside the pack folder (all but ensembles, which name export folders). */
    readonly contained: boolean,
  ) {}

  /** Checks a named file exists (inside the pack, unless it names other folders); returns its absolute path. */
  fileAt(field: string, rel: string): string {
    const abs = path.resolve(this.dir, rel);
    if (this.contained && path.relative(this.dir, abs).startsWith('..')) throw new PackError(this.file, field, `${rel} points outside the pack folder`);
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
export function checkPack(dir: string, file: string, m: PackManifest, contained = true): Set<string> {
  const c = new PackChecker(dir, file, contained);
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
  const encoderOutputs = new Set(conditioning);
  (m.conditioning ?? []).forEach((d, i) => {
    const at = `conditioning[${i}]`;
    if (conditioning.has(d.name)) throw new PackError(c.file, `${at}.name`, `conditioning ${d.name} is produced twice`);
    if ('join' in d) for (const source of d.join) if (!encoderOutputs.has(source)) throw new PackError(c.file, `${at}.join`, `${source} is no encoder's output (known: ${[...encoderOutputs].join(', ')})`);
    conditioning.add(d.name);
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
        if (!builtin && !conditioning.has(input)) throw new PackError(c.file, `${at}.inputs`, `${input} is no encoder's output or derived conditioning (known: ${[...conditioning, ...BUILTIN_EXPERT_INPUTS].join(', ')})`);
      }
      const io = expertIo(e);
      for (const name of Object.keys(io.inputs ?? {})) if (!e.inputs.includes(name)) throw new PackError(c.file, `${at}.tensors.inputs`, `${name} is not among the expert's inputs (${e.inputs.join(', ')})`);
      c.signature(`${at}.model`, e.model, [io.x, io.noise, ...extraInputs, ...e.inputs.map((name) => expertInputName(e, name))], [io.output]);
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

/**
 * What to load: a folder (an ediff pack, an ensemble pack.json or an export), or SDXL's base
 * export with its refiner (`--pack BASE --refiner REFINER [--refiner-at F]`).
 */
export type PackLocation = string | { dir: string; refiner: string; refinerAt?: number };

/** The command-line flags that load the same pack in another process. */
export function packFlags(location: PackLocation): string[] {
  if (typeof location === 'string') return ['--pack', location];
  return ['--pack', location.dir, '--refiner', location.refiner, ...(location.refinerAt !== undefined ? ['--refiner-at', String(location.refinerAt)] : [])];
}

/** The inverse of packFlags: --pack, --refiner and --refiner-at as a location (an Error naming a bad flag). */
export function locationFromFlags(dir: string, refiner: string | undefined, refinerAt: string | undefined): PackLocation {
  if (refiner === undefined) {
    if (refinerAt !== undefined) throw new Error('--refiner-at needs --refiner');
    return dir;
  }
  const at = refinerAt === undefined ? undefined : Number(refinerAt);
  if (at !== undefined && !(at > 0 && at < 1)) throw new Error(`--refiner-at must be a fraction in (0, 1) (diffusers' denoising_end), got ${JSON.stringify(refinerAt)}`);
  return { dir, refiner, ...(at !== undefined && { refinerAt: at }) };
}

/** What was assumed while reading an export folder or ensemble (the nodes log it). */
export const packWarnings = (pack: Pack): string[] => (pack.source.kind === 'pack' ? [] : pack.source.warnings);

/**
 * Loads and validates a pack: `DIR/pack.json` (an ediff pack, or an ensemble of export folders),
 * an export folder as it ships, detected by its `model_index.json` (Hugging Face Optimum's ONNX
 * export of Stable Diffusion or SDXL, or the legacy diffusers ONNX layout; see export.ts), or a
 * base export with its refiner (ensemble.ts). Hashes the pack.
 */
export function loadPack(location: PackLocation): Pack {
  const abs = path.resolve(typeof location === 'string' ? location : location.dir);
  const { file, manifest, source, extra } = readLocation(abs, location);
  const files = checkPack(abs, file, manifest, source.kind !== 'ensemble');
  const hash = createHash('sha256');
  hash.update(JSON.stringify(manifest));
  for (const rel of [...new Set([...files, ...extra])].sort()) {
    hash.update(rel);
    hashFile(hash, path.resolve(abs, rel));
  }
  const absolute: PackLocation = typeof location === 'string' ? abs : { ...location, dir: abs, refiner: path.resolve(location.refiner) };
  return { dir: abs, manifest, hash: hash.digest('hex'), source, location: absolute };
}

/** The manifest of a location, the file its errors name, and the files besides those the manifest names. */
function readLocation(abs: string, location: PackLocation): { file: string; manifest: PackManifest; source: PackSource; extra: string[] } {
  const composed = (file: string, ensemble: Ensemble) => {
    const c = composeEnsemble(abs, file, ensemble);
    return { file, manifest: c.manifest, source: { kind: 'ensemble' as const, parts: c.parts, warnings: c.warnings }, extra: c.files };
  };
  const manifestFile = path.join(abs, MANIFEST_FILE);
  const indexFile = path.join(abs, MODEL_INDEX_FILE);
  if (typeof location !== 'string') {
    if (!existsSync(indexFile)) throw new PackError(indexFile, '', `missing: --refiner composes two export folders, and ${abs} is not one`);
    return composed(indexFile, baseAndRefiner(abs, path.resolve(location.refiner), location.refinerAt));
  }
  if (existsSync(manifestFile)) {
    const json = readJsonFile(manifestFile);
    if (json.field('format').value === ENSEMBLE_FORMAT) return composed(manifestFile, readEnsemble(json));
    return { file: manifestFile, manifest: readManifest(manifestFile, json.value), source: { kind: 'pack' }, extra: [] };
  }
  if (existsSync(indexFile)) {
    const read = readExport(abs);
    return { file: read.file, manifest: read.manifest, source: { kind: 'export', layout: read.layout, warnings: read.warnings }, extra: read.files };
  }
  if (!existsSync(abs)) throw new PackError(abs, '', 'no such folder');
  throw new PackError(abs, '', `neither ${MANIFEST_FILE} (an ediff pack or ensemble) nor ${MODEL_INDEX_FILE} (a diffusers or Optimum ONNX export) is here`);
}
