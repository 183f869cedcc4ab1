/**
 * Ensembles of expert denoisers composed from export folders by noise range: eDiff-I's recipe
 * built from public checkpoints. SDXL's base and refiner are the common case
 * (`--pack BASE --refiner REFINER [--refiner-at 0.8]`); any compatible exports compose (two
 * SD 1.5 fine-tunes, one for high noise and one for low), listed from the highest noise to the
 * lowest in a pack.json of format `ediff-ensemble/1`:
 *
 *   { "format": "ediff-ensemble/1", "name": "sdxl",
 *     "experts": [ { "name": "base", "export": "../sdxl-base", "denoising_end": 0.8 },
 *                  { "name": "refiner", "export": "../sdxl-refiner" } ] }
 *
 * Each expert but the last hands over at `denoising_end`, diffusers' meaning: a fraction of the
 * training timesteps (0.8 -> timestep 200 -> its sigma, 0.5717 on SD's schedule); it owns the
 * sigmas at or above that, the next expert those below, down to the last, which owns every sigma
 * below. The latents pass from one to the next as they are. The exports must share a training
 * schedule, latent channels and VAE; the encoders they share (SDXL's bigG) are loaded once; the
 * decode stage is the last expert's VAE (diffusers decodes with the refiner's).
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import { PackError } from '../errors.ts';
import { DiscreteSigmas, type DiscreteSchedule } from '../sampling/discrete-schedule.ts';
import { readExport, type ExportLayout, type ReadExport } from './export.ts';
import { hashFile } from './file-hash.ts';
import { Reader } from './json-reader.ts';
import type { EncoderSpec, ExpertSpec, PackManifest } from './manifest.ts';
import { readModelSignature } from './onnx-signature.ts';

export const ENSEMBLE_FORMAT = 'ediff-ensemble/1';

/** Where SDXL's refiner takes over when `--refiner-at` is not given: the 0.8 of diffusers' base + refiner example. */
export const DEFAULT_REFINER_AT = 0.8;

export interface EnsembleExpert {
  /** The expert's name (expert-node --expert NAME); its encoders and conditioning are prefixed with it. */
  name: string;
  /** The export folder: absolute, or relative to the ensemble's folder. */
  export: string;
  /** All but the last: the fraction of the training timesteps after which the next expert takes over (diffusers' denoising_end). */
  denoising_end?: number;
  /** @default the export's default guidance */
  guidance?: number;
}

export interface Ensemble {
  name: string;
  /** From the highest noise to the lowest. */
  experts: EnsembleExpert[];
}

export interface ComposedEnsemble {
  manifest: PackManifest;
  parts: { name: string; dir: string; layout: ExportLayout }[];
  warnings: string[];
  /** The export's config and tokenizer files besides those the manifest names, relative to the ensemble's folder. */
  files: string[];
}

const NAME = /^[a-z][a-z0-9_-]*$/;

/** An ensemble pack.json, read (its export folders are read by composeEnsemble). */
export function readEnsemble(r: Reader): Ensemble {
  r.field('format').oneOf([ENSEMBLE_FORMAT] as const, 'pack format');
  const experts = r.field('experts').array();
  if (experts.length < 2) r.field('experts').fail('an ensemble needs at least two experts (one export alone is served with --pack EXPORT_DIR)');
  return {
    name: r.field('name').string(),
    experts: experts.map((e, i) => {
      const last = i === experts.length - 1;
      if (last && e.has('denoising_end')) e.field('denoising_end').fail('the last expert owns every sigma below the one before it: it takes no denoising_end');
      return {
        name: e.field('name').string(),
        export: e.field('export').string(),
        ...(!last && { denoising_end: e.field('denoising_end').number((n) => n > 0 && n < 1, 'a fraction in (0, 1)') }),
        ...(e.has('guidance') && { guidance: e.field('guidance').number((n) => n >= 0, 'a number >= 0') }),
      };
    }),
  };
}

/** SDXL's base and refiner as an ensemble (`--pack BASE --refiner REFINER --refiner-at F`). */
export const baseAndRefiner = (base: string, refiner: string, at = DEFAULT_REFINER_AT): Ensemble => ({
  name: `${path.basename(path.resolve(base))}+${path.basename(path.resolve(refiner))}`,
  experts: [
    { name: 'base', export: base, denoising_end: at },
    { name: 'refiner', export: refiner },
  ],
});

/** diffusers' denoising_end as a sigma: the sigma of training timestep round(T - f * T). */
export function boundarySigma(schedule: DiscreteSchedule, denoisingEnd: number): number {
  const t = Math.round(schedule.timesteps - denoisingEnd * schedule.timesteps);
  return new DiscreteSigmas(schedule).sigmas[Math.min(schedule.timesteps - 1, Math.max(0, t))]!;
}

/** A manifest's file paths, made relative to `root` instead of the export folder `dir`. */
function rebase(m: PackManifest, dir: string, root: string): PackManifest {
  const to = (rel: string) => path.relative(root, path.resolve(dir, rel));
  return {
    ...m,
    encoders: m.encoders.map((e) => ({ ...e, model: to(e.model), ...(e.tokenizer && { tokenizer: typeof e.tokenizer === 'string' ? to(e.tokenizer) : { vocab: to(e.tokenizer.vocab), merges: to(e.tokenizer.merges) } }) })),
    base: { ...m.base, experts: m.base.experts.map((e) => ({ ...e, model: to(e.model) })) },
    ...(m.decode && { decode: { ...m.decode, model: to(m.decode.model) } }),
  };
}

/** What makes two encoders the same: the same model and tokenizer files, padding and length. */
function encoderIdentity(root: string, e: EncoderSpec): string {
  const hash = createHash('sha256');
  hash.update(JSON.stringify([e.kind, e.pad_token ?? null, e.max_tokens ?? null, e.image_size ?? null]));
  const model = path.resolve(root, e.model);
  const files = [model, ...readModelSignature(model).externalData.map((f) => path.join(path.dirname(model), f))];
  if (e.tokenizer) files.push(...(typeof e.tokenizer === 'string' ? [e.tokenizer] : [e.tokenizer.vocab, e.tokenizer.merges]).map((f) => path.resolve(root, f)));
  for (const f of files) hashFile(hash, f);
  return hash.digest('hex');
}

/** Renames a conditioning tensor wherever derived conditioning and experts refer to it. */
function renameConditioning(m: PackManifest, from: string, to: string): void {
  const swap = (name: string) => (name === from ? to : name);
  m.conditioning = m.conditioning?.map((d) => ('join' in d ? { ...d, join: d.join.map(swap) } : d));
  m.base.experts = m.base.experts.map((e) => ({
    ...e,
    inputs: e.inputs.map(swap),
    ...(e.tensors && { tensors: { ...e.tensors, ...(e.tensors.inputs && { inputs: Object.fromEntries(Object.entries(e.tensors.inputs).map(([c, onnx]) => [swap(c), onnx])) }) } }),
  }));
}

/** Refuses exports whose schedules, latents or VAEs differ: a line naming the file and field. */
function checkCompatible(first: { name: string; dir: string; read: ReadExport }, other: { name: string; dir: string; read: ReadExport }): void {
  const a = first.read.manifest;
  const b = other.read.manifest;
  const differ = (file: string, field: string, mine: unknown, theirs: unknown, what: string) => {
    throw new PackError(path.join(other.dir, file), field, `is ${JSON.stringify(mine)}, but ${first.name}'s is ${JSON.stringify(theirs)} (${path.join(first.dir, file)}): the experts of an ensemble must share ${what}`);
  };
  const scheduleOf = (m: PackManifest) => {
    const p = m.base.experts[0]!.parameterization;
    return p.type === 'edm' ? null : p.schedule;
  };
  const [sa, sb] = [scheduleOf(a)!, scheduleOf(b)!];
  const schedulerFile = path.join('scheduler', 'scheduler_config.json');
  for (const [key, field] of [['beta_schedule', 'beta_schedule'], ['beta_start', 'beta_start'], ['beta_end', 'beta_end'], ['timesteps', 'num_train_timesteps']] as const) {
    if (sa[key] !== sb[key]) differ(schedulerFile, field, sb[key], sa[key], 'one training schedule (the latents cross from one to the next as they are)');
  }
  if (a.base.channels !== b.base.channels) differ(path.join('unet', 'config.json'), 'in_channels', b.base.channels, a.base.channels, 'one latent space');
  const vaeFile = path.join('vae_decoder', 'config.json');
  if (a.decode!.scaling_factor !== b.decode!.scaling_factor) differ(vaeFile, 'scaling_factor', b.decode!.scaling_factor, a.decode!.scaling_factor, 'one VAE (one latent space)');
  if (a.base.latent!.factor !== b.base.latent!.factor) differ(vaeFile, 'block_out_channels', `a factor of ${b.base.latent!.factor}`, `a factor of ${a.base.latent!.factor}`, 'one VAE');
  const [fa, fb] = [a.base.latent!.fixed, b.base.latent!.fixed];
  if (JSON.stringify(fa) !== JSON.stringify(fb)) differ(path.join('unet', 'model.onnx'), 'sample', fb, fa, 'one latent size (a static export fixes it)');
}

/**
 * Reads every export of the ensemble and composes them into one pack manifest, with paths
 * relative to `root` (the ensemble's folder). `file` is what errors about the ensemble name.
 */
export function composeEnsemble(root: string, file: string, ensemble: Ensemble): ComposedEnsemble {
  const names = new Set<string>();
  const parts = ensemble.experts.map((expert, i) => {
    if (!NAME.test(expert.name)) throw new PackError(file, `experts[${i}].name`, `must be lower-case letters, digits, - and _ (it names the expert and prefixes its conditioning), got ${JSON.stringify(expert.name)}`);
    if (names.has(expert.name)) throw new PackError(file, `experts[${i}].name`, `duplicate expert name ${expert.name}`);
    names.add(expert.name);
    const dir = path.resolve(root, expert.export);
    const read = readExport(dir, { part: expert.name });
    return { expert, name: expert.name, dir, read, manifest: rebase(read.manifest, dir, root) };
  });
  const first = parts[0]!;
  for (const p of parts.slice(1)) checkCompatible(first, p);

  // Sigma ranges from the hand-over fractions, highest noise first.
  const schedule = (first.manifest.base.experts[0]!.parameterization as { schedule: DiscreteSchedule }).schedule;
  const bounds = parts.slice(0, -1).map((p, i) => {
    const end = p.expert.denoising_end;
    if (end === undefined) throw new PackError(file, `experts[${i}].denoising_end`, `is missing: ${p.name} hands over to ${parts[i + 1]!.name} after this fraction of the training timesteps`);
    return boundarySigma(schedule, end);
  });
  bounds.forEach((b, i) => {
    if (i > 0 && b >= bounds[i - 1]!) throw new PackError(file, `experts[${i}].denoising_end`, `must be larger than experts[${i - 1}]'s (${parts[i - 1]!.expert.denoising_end}): ${parts[i]!.name}'s range would be empty`);
  });

  // One manifest: every part's encoders (shared ones once), conditioning and expert.
  const manifest: PackManifest = {
    ...first.manifest,
    name: ensemble.name,
    description: `an ensemble of ${parts.length} experts composed by noise range: ${parts.map((p, i) => `${p.name} (${i === 0 ? `sigma >= ${bounds[0]!.toPrecision(4)}` : i === parts.length - 1 ? `sigma < ${bounds[i - 1]!.toPrecision(4)}` : `sigma in [${bounds[i]!.toPrecision(4)}, ${bounds[i - 1]!.toPrecision(4)})`}, ${p.dir})`).join(', ')}`,
    encoders: [],
    conditioning: [],
    base: {
      ...first.manifest.base,
      latent: { ...first.manifest.base.latent!, multiple: Math.max(...parts.map((p) => p.manifest.base.latent!.multiple)) },
      experts: parts.map((p, i): ExpertSpec => ({
        ...p.manifest.base.experts[0]!,
        sigma_lo: i < bounds.length ? bounds[i]! : 0,
        sigma_hi: i === 0 ? null : bounds[i - 1]!,
        guidance: p.expert.guidance ?? p.manifest.defaults.guidance,
      })),
    },
    decode: parts[parts.length - 1]!.manifest.decode!,
  };
  const identities = new Map<string, EncoderSpec>();
  for (const p of parts) {
    manifest.conditioning!.push(...(p.manifest.conditioning ?? []));
    for (const e of p.manifest.encoders) {
      const id = encoderIdentity(root, e);
      const same = identities.get(id);
      if (!same) {
        const kept = { ...e, outputs: { ...e.outputs } };
        identities.set(id, kept);
        manifest.encoders.push(kept);
        continue;
      }
      // The same encoder as an earlier part's: run once, its outputs shared.
      for (const [output, name] of Object.entries(e.outputs)) {
        if (same.outputs[output]) renameConditioning(manifest, name, same.outputs[output]);
        else same.outputs[output] = name;
      }
    }
  }
  if (manifest.conditioning!.length === 0) delete manifest.conditioning;
  return {
    manifest,
    parts: parts.map((p) => ({ name: p.name, dir: p.dir, layout: p.read.layout })),
    warnings: parts.flatMap((p) => p.read.warnings),
    files: parts.flatMap((p) => p.read.files.map((f) => path.relative(root, path.join(p.dir, f)))),
  };
}
