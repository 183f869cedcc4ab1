/**
 * The `ediff` command line.
 *
 *   ediff generate "a red circle on a blue background" --in-process --size 64 --seed 1 -o out.png
 *   ediff build-packs
 *
 * Bad options print one line and exit with code 2; other failures exit with code 1.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { InvalidArgumentError, PackError } from '../../common/errors.ts';
import { encodePng } from '../../common/image.ts';
import { loadPack } from '../../common/pack/load.ts';
import { BUILDABLE_PACKS, ensureBuiltPack } from '../../common/packs/cache.ts';
import { REFERENCE_PACK_NAME } from '../../common/packs/reference/build.ts';
import { InProcessPipeline } from '../../common/pipeline/in-process.ts';
import type { GenerateRequest, PaintRegion } from '../../common/pipeline/request.ts';
import { SAMPLERS } from '../../common/sampling/samplers.ts';
import { progressBar } from './progress.ts';

/** A mistake in how the command was called: one line, exit code 2. */
class UsageError extends Error {}

const USAGE = `usage: ediff <command> [options]

commands:
  generate PROMPT     generate an image from a prompt
  build-packs         build the packs this project makes into the cache (done on first use anyway)

generate options:
  -o, --output FILE         PNG to write (default out.png)
      --in-process          run every model in this process (the only mode until the cluster lands)
      --size N              output side: 64, 256 or 1024 (default: the largest the pack makes, 1024)
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
      --pack DIR|NAME       model pack folder, or a pack this project builds: ${Object.keys(BUILDABLE_PACKS).join(', ')}
                            (default reference)
  -q, --quiet               no progress bar or summary
  -h, --help                this text`;

const OPTIONS = {
  output: { type: 'string', short: 'o' },
  'in-process': { type: 'boolean' },
  size: { type: 'string' },
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
  pack: { type: 'string' },
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

/** --pack: a folder, or the name of a pack this project builds (built into the cache on first use). */
function packDir(option: string | undefined, quiet: boolean): string {
  const name = option ?? REFERENCE_PACK_NAME;
  if (option !== undefined && (existsSync(option) || !(option in BUILDABLE_PACKS))) return option;
  return ensureBuiltPack(name, undefined, (dir) => quiet || process.stderr.write(`building the ${name} pack into ${dir} (once)\n`));
}

async function generate(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({ args, options: OPTIONS, allowPositionals: true, strict: true });
  if (values.help) return void console.log(USAGE);
  if (positionals.length !== 1) throw new UsageError(positionals.length === 0 ? 'generate needs a PROMPT (quote it)' : `generate takes one PROMPT; quote it (got ${positionals.length} words)`);
  const quiet = values.quiet ?? false;
  const output = values.output ?? 'out.png';
  const request: GenerateRequest = {
    prompt: positionals[0]!,
    ...(values.size !== undefined && { size: number('size', values.size, true)! }),
    ...(values.seed !== undefined && { seed: number('seed', values.seed, true)! }),
    ...(values.steps !== undefined && { steps: number('steps', values.steps, true)! }),
    ...(values.sampler !== undefined && { sampler: values.sampler }),
    ...(values.guidance !== undefined && { guidance: number('guidance', values.guidance)! }),
    ...(values.negative !== undefined && { negativePrompt: values.negative }),
    ...(values.style !== undefined && { style: readInput('style', values.style) }),
    ...(values['paint-weight'] !== undefined && { paintWeight: number('paint-weight', values['paint-weight'])! }),
    paint: parsePaint(values.paint),
    ...(values['switch-prompt'] !== undefined && { promptSwitch: { prompt: values['switch-prompt'], atFraction: number('switch-at', values['switch-at']) ?? 0.9 } }),
  };
  if (values['switch-at'] !== undefined && values['switch-prompt'] === undefined) throw new UsageError('--switch-at needs --switch-prompt');
  const pack = loadPack(packDir(values.pack, quiet));
  const pipeline = await InProcessPipeline.load(pack);
  const bar = progressBar(!quiet && process.stderr.isTTY === true);
  try {
    const result = await pipeline.generate(request, { onProgress: bar.update });
    bar.stop();
    writeFileSync(output, await encodePng(result.image));
    if (!quiet) {
      const total = result.stages.reduce((a, s) => a + s.ms, 0);
      const stages = result.stages.map((s) => `${s.stage} ${(s.ms / 1000).toFixed(2)} s`).join(', ');
      process.stderr.write(`wrote ${output} (${result.size}x${result.size}, seed ${result.seed}) in ${(total / 1000).toFixed(2)} s: ${stages}\n`);
    }
  } finally {
    bar.stop();
    await pipeline.release();
  }
}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'generate':
      return generate(rest);
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

try {
  await main(process.argv.slice(2));
} catch (error) {
  const usage = error instanceof UsageError || error instanceof InvalidArgumentError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
  process.stderr.write(`ediff: ${(error as Error).message}${usage ? '' : process.env.EDIFF_DEBUG ? `\n${(error as Error).stack}` : ''}\n`);
  if (error instanceof PackError || !usage) process.exitCode = 1;
  else process.exitCode = 2;
}
