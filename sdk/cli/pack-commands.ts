/**
 * The CLI's pack commands: `ediff pack inspect DIR` (what ediff reads in a pack or an export),
 * `ediff tokens PROMPT --pack DIR` (token ids and the count against each encoder's limit) and
 * `ediff make-test-export DIR` (a tiny random-weight Stable Diffusion export, to try the export
 * path without weights).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadPack, locationFromFlags, packWarnings, type Pack, type PackLocation } from '../../common/pack/load.ts';
import { expertIo, type ExpertSpec } from '../../common/pack/manifest.ts';
import { readModelSignature, type ValueSignature } from '../../common/pack/onnx-signature.ts';
import { availableSizes, MAX_SIDE, packFeatures, sizeStep } from '../../common/pipeline/request.ts';
import { TextTokenizer } from '../../common/runtime/tokenizer.ts';
import { BUILDABLE_PACKS, ensureBuiltPack } from '../../packs/cache.ts';
import { REFERENCE_PACK_NAME } from '../../packs/reference/build.ts';
import { writeTestExport, type TestExportOptions } from '../../packs/test-exports/build.ts';
import { writeSdxlTestExport } from '../../packs/test-exports/sdxl.ts';
import { UsageError } from './usage.ts';

/** CLIP's vocabulary, as the repository keeps it for its tests and test exports. */
const CLIP_VOCABULARY = fileURLToPath(new URL('../../test/fixtures/clip/', import.meta.url));

/** --pack: a folder, or the name of a pack this project builds (built into the cache on first use). */
export function packDir(option: string | undefined, quiet: boolean): string {
  const name = option ?? REFERENCE_PACK_NAME;
  if (option !== undefined && (existsSync(option) || !(option in BUILDABLE_PACKS))) return option;
  return ensureBuiltPack(name, undefined, (dir) => quiet || process.stderr.write(`building the ${name} pack into ${dir} (once)\n`));
}

/** --pack with --refiner / --refiner-at (SDXL's base and refiner as one ensemble). */
export function packLocationOf(values: { pack?: string | undefined; refiner?: string | undefined; 'refiner-at'?: string | undefined }, quiet: boolean): PackLocation {
  try {
    return locationFromFlags(packDir(values.pack, quiet), values.refiner, values['refiner-at']);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/** The flags that choose a pack, for parseArgs. */
export const PACK_OPTIONS = { pack: { type: 'string' }, refiner: { type: 'string' }, 'refiner-at': { type: 'string' } } as const;

const fmtValue = (v: ValueSignature) => `${v.name} ${v.type} [${v.dims.map((d) => (d === '' ? '?' : d)).join(', ')}]`;

/** Values listed one by one, except runs of `NAME.N` of one type and shape (a text encoder's 33 hidden states): `NAME.0..32`. */
function fmtValues(values: ValueSignature[]): string {
  const out: string[] = [];
  for (let i = 0; i < values.length; i++) {
    const run = /^(.*)\.(\d+)$/.exec(values[i]!.name);
    let j = i;
    const same = (v: ValueSignature | undefined, k: number) => v && v.name === `${run![1]}.${Number(run![2]) + k}` && v.type === values[i]!.type && v.dims.join() === values[i]!.dims.join();
    if (run) while (same(values[j + 1], j + 1 - i)) j++;
    out.push(j - i >= 2 ? fmtValue({ ...values[i]!, name: `${run![1]}.${run![2]}..${Number(run![2]) + j - i}` }) : fmtValue(values[i]!));
    if (j - i >= 2) i = j;
  }
  return out.join('; ');
}
const fmtHi = (hi: number | null) => (hi === null ? 'inf' : String(hi));

/** How an expert's model takes its noise level, from its signature. */
function noiseForm(e: ExpertSpec, inputs: ValueSignature[]): string {
  const noise = inputs.find((v) => v.name === expertIo(e).noise);
  if (!noise) return 'missing';
  const integer = noise.type.startsWith('int');
  const what = e.parameterization.type === 'edm' ? 'sigma' : integer ? 'the nearest training step' : 'the fractional training timestep';
  const shape = noise.dims.length === 0 ? 'one per call: evaluations of one sigma share a batch' : 'one per batch row';
  return `${noise.name} ${noise.type} ${noise.dims.length === 0 ? 'scalar' : `[${noise.dims.join(', ')}]`}: ${what}, ${shape}`;
}

/** What ediff reads in a pack or export folder, as lines of text. */
export function describePack(pack: Pack): string[] {
  const m = pack.manifest;
  const src = pack.source;
  const source =
    src.kind === 'export' ? `export folder (${src.layout} layout), read in place` : src.kind === 'ensemble' ? `ensemble of export folders: ${src.parts.map((p) => `${p.name} = ${p.dir} (${p.layout} layout)`).join(', ')}` : 'ediff pack (pack.json)';
  const lines = [`pack ${m.name}: ${m.description ?? ''}`, `  hash ${pack.hash}`, `  source: ${source}`];
  const model = (indent: string, rel: string) => {
    const sig = readModelSignature(path.resolve(pack.dir, rel));
    lines.push(`${indent}model ${rel}${sig.externalData.length > 0 ? ` (weights in ${sig.externalData.join(', ')})` : ''}`);
    lines.push(`${indent}  inputs:  ${fmtValues(sig.inputs)}`);
    lines.push(`${indent}  outputs: ${fmtValues(sig.outputs)}`);
    return sig;
  };
  lines.push('  encoders:');
  for (const e of m.encoders) {
    lines.push(`    ${e.name} (${e.kind})`);
    if (e.tokenizer) {
      const files = typeof e.tokenizer === 'string' ? e.tokenizer : `CLIP BPE ${e.tokenizer.vocab} + ${e.tokenizer.merges}`;
      lines.push(`      tokenizer ${files}: ${e.max_tokens} tokens, padded with ${JSON.stringify(e.pad_token ?? (e.kind === 'clip-text' ? '<|endoftext|>' : '<pad>'))}`);
    }
    model('      ', e.model);
    lines.push(`      conditioning: ${Object.entries(e.outputs).map(([o, c]) => `${o} -> ${c}`).join(', ')}`);
  }
  for (const d of m.conditioning ?? []) {
    const made = 'join' in d ? (d.join.length === 1 ? `= ${d.join[0]}` : `${d.join.join(' + ')} joined on the feature axis`) : `time_ids [${d.time_ids.join(', ')}]`;
    lines.push(`    derived ${d.name}: ${made}${'join' in d && d.zero_for_empty_negative ? '; zeros for an empty negative prompt' : ''}`);
  }
  const latent = m.base.latent;
  const step = sizeStep(m);
  lines.push(
    latent
      ? `  base stage: latents [${m.base.channels}, H/${latent.factor}, W/${latent.factor}]; default ${availableSizes(m)[0]}x${availableSizes(m)[0]} pixels; widths and heights multiples of ${step} up to ${MAX_SIDE}${latent.fixed ? ` (fixed: ${latent.fixed.width * latent.factor}x${latent.fixed.height * latent.factor})` : ''}`
      : `  base stage: pixels [${m.base.channels}, ${m.base.size}, ${m.base.size}]`,
  );
  for (const e of m.base.experts) {
    const p = e.parameterization;
    const schedule = p.type === 'edm' ? 'edm' : `${p.type} (${p.schedule.beta_schedule} betas ${p.schedule.beta_start}-${p.schedule.beta_end}, ${p.schedule.timesteps} training steps)`;
    lines.push(`    expert ${e.name}: sigma [${e.sigma_lo}, ${fmtHi(e.sigma_hi)}), ${schedule}, consumes ${e.inputs.join(', ') || 'no conditioning'}`);
    const sig = model('      ', e.model);
    lines.push(`      noise level: ${noiseForm(e, sig.inputs)}`);
  }
  if (m.decode) {
    lines.push(`  decode stage ${m.decode.name}: the VAE decoder, latents / ${m.decode.scaling_factor}`);
    model('    ', m.decode.model);
  }
  for (const s of m.super_resolution) lines.push(`  SR stage ${s.name}: ${s.from_size} -> ${s.size}, ${s.sampler} ${s.steps} steps, experts ${s.experts.map((e) => `${e.name} [${e.sigma_lo}, ${fmtHi(e.sigma_hi)})`).join(', ')}`);
  const d = m.defaults;
  lines.push(`  sampling: ${d.sampler}, ${d.steps} steps, Karras schedule over sigma ${d.sigma_min.toPrecision(4)}-${d.sigma_max.toPrecision(6)} (rho ${d.rho}), guidance ${d.guidance}`);
  lines.push(`  sizes: ${availableSizes(m).join(', ')}${latent ? ' (the trained size; others: see above)' : ''}`);
  if (m.recommended_sizes) lines.push(`  recommended sizes: ${m.recommended_sizes.map(([w, h]) => `${w}x${h}`).join(', ')}`);
  lines.push(`  features: ${packFeatures(m).join(', ')}`);
  for (const w of packWarnings(pack)) lines.push(`  warning: ${w}`);
  return lines;
}

export async function inspectCommand(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({ args, options: { refiner: PACK_OPTIONS.refiner, 'refiner-at': PACK_OPTIONS['refiner-at'] }, allowPositionals: true, strict: true });
  if (positionals.length !== 1) throw new UsageError('pack inspect takes one pack or export folder (or the name of a pack ediff builds)');
  console.log(describePack(loadPack(packLocationOf({ ...values, pack: positionals[0] }, false))).join('\n'));
}

export async function tokensCommand(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({ args, options: PACK_OPTIONS, allowPositionals: true, strict: true });
  if (positionals.length !== 1) throw new UsageError('tokens takes one PROMPT (quote it)');
  const pack = loadPack(packLocationOf(values, false));
  const prompt = positionals[0]!;
  for (const e of pack.manifest.encoders) {
    if (e.kind === 'clip-image' || !e.tokenizer) continue;
    const tokenizer = TextTokenizer.forEncoder(pack.dir, e);
    const t = tokenizer.encode(prompt);
    const used = Math.min(t.count, e.max_tokens!);
    console.log(`${e.name}: ${t.count} of ${e.max_tokens} tokens${t.count > e.max_tokens! ? ` (too long: "${t.dropped}" is dropped)` : ''}`);
    console.log(`  ${Array.from(t.ids.subarray(0, used), String).join(' ')}${used < e.max_tokens! ? ` (then ${e.max_tokens! - used} x ${tokenizer.padId})` : ''}`);
  }
}

const MAKE_TEST_EXPORT_USAGE = `usage: ediff make-test-export DIR [--layout optimum|legacy] [--prediction epsilon|v_prediction]
                             [--timestep float-scalar|int64|float-batch] [--input-ids int64|int32]
                             [--fp16] [--no-external-data] [--sample-size N]
       ediff make-test-export DIR --sdxl base|refiner [--sample-size N]

Writes a tiny Stable Diffusion ONNX export with random weights (pictures are noise) in the file
layout of a real one, to try 'ediff generate --pack DIR' and 'ediff cluster up --pack DIR'.
With --sdxl, an SDXL base or refiner in Optimum's layout (a base and a refiner written by it
share bigG and the VAE, as the real ones do), to try '--pack BASE --refiner REFINER'.`;

export async function makeTestExportCommand(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      layout: { type: 'string' },
      prediction: { type: 'string' },
      timestep: { type: 'string' },
      'input-ids': { type: 'string' },
      fp16: { type: 'boolean' },
      'no-external-data': { type: 'boolean' },
      'sample-size': { type: 'string' },
      sdxl: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    allowPositionals: true,
    strict: true,
  });
  if (values.help) return void console.log(MAKE_TEST_EXPORT_USAGE);
  if (positionals.length !== 1) throw new UsageError(`make-test-export takes one folder to write\n\n${MAKE_TEST_EXPORT_USAGE}`);
  const dir = positionals[0]!;
  if (existsSync(path.join(dir, 'model_index.json'))) throw new UsageError(`${dir} already holds an export; choose another folder`);
  const choice = <T extends string>(flag: string, value: string | undefined, known: readonly T[]): T | undefined => {
    if (value !== undefined && !(known as readonly string[]).includes(value)) throw new UsageError(`--${flag} must be one of ${known.join(', ')}, got ${JSON.stringify(value)}`);
    return value as T | undefined;
  };
  const sampleSize = values['sample-size'] === undefined ? undefined : Number(values['sample-size']);
  if (sampleSize !== undefined && !(Number.isInteger(sampleSize) && sampleSize > 0 && sampleSize <= 128)) throw new UsageError(`--sample-size must be a whole number in [1, 128], got ${values['sample-size']}`);
  if (values.sdxl !== undefined) {
    const role = choice('sdxl', values.sdxl, ['base', 'refiner'] as const)!;
    const others = (['layout', 'prediction', 'timestep', 'input-ids', 'fp16', 'no-external-data'] as const).filter((k) => values[k] !== undefined);
    if (others.length > 0) throw new UsageError(`--sdxl writes Optimum's SDXL layout; it takes no --${others.join(', --')}`);
    writeSdxlTestExport(dir, CLIP_VOCABULARY, { role, ...(sampleSize !== undefined && { sampleSize }), ...(role === 'refiner' && { unetSeed: 2 }) });
    console.log(path.resolve(dir));
    return;
  }
  const options: TestExportOptions = {
    ...(values.layout !== undefined && { layout: choice('layout', values.layout, ['optimum', 'legacy'] as const)! }),
    ...(values.prediction !== undefined && { prediction: choice('prediction', values.prediction, ['epsilon', 'v_prediction'] as const)! }),
    ...(values.timestep !== undefined && { timestep: choice('timestep', values.timestep, ['float-scalar', 'int64', 'float-batch'] as const)! }),
    ...(values['input-ids'] !== undefined && { inputIds: choice('input-ids', values['input-ids'], ['int64', 'int32'] as const)! }),
    ...(values.fp16 && { precision: 'fp16' as const }),
    ...(values['no-external-data'] && { externalData: false }),
    ...(sampleSize !== undefined && { sampleSize }),
  };
  writeTestExport(dir, CLIP_VOCABULARY, options);
  console.log(path.resolve(dir));
}
