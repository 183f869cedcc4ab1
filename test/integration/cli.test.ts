import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { REFERENCE_PACK_NAME, REFERENCE_PACK_VERSION } from '../../packs/reference/build.ts';
import { classify, readPicture, tempDir } from '../helpers/reference.ts';
import { writeTinyPack } from '../helpers/tiny-pack.ts';

const run = promisify(execFile);
const bin = new URL('../../bin/ediff.mjs', import.meta.url).pathname;
const work = tempDir('cli');
after(() => work.remove());
const env = { ...process.env, EDIFF_CACHE_DIR: path.join(work.dir, 'cache') };

async function ediff(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [bin, ...args], { env, cwd: work.dir });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** Starts `ediff cluster up` with `args`; resolves with its coordinator's address and a stop function that checks it exits cleanly. */
async function clusterUp(...args: string[]) {
  const up = spawn(process.execPath, [bin, 'cluster', 'up', '--port', '0', ...args], { env, cwd: work.dir, stdio: ['ignore', 'pipe', 'pipe'] });
  const stop = async () => {
    up.kill('SIGTERM');
    const code = await new Promise((resolve) => (up.exitCode !== null ? resolve(up.exitCode) : up.once('exit', resolve)));
    assert.equal(code, 0, 'cluster up stops cleanly on SIGTERM');
  };
  let http = '';
  let ui = '';
  const address = await new Promise<string>((resolve, reject) => {
    createInterface({ input: up.stdout! }).on('line', (line) => {
      const m = /^coordinator listening on (\S+)$/.exec(line);
      if (m) resolve(m[1]!);
      http = /^HTTP API \(OpenAI images\) on (\S+)$/.exec(line)?.[1] ?? http;
      ui = /^web UI on (\S+)$/.exec(line)?.[1] ?? ui;
    });
    up.once('exit', (code) => reject(new Error(`cluster up exited with ${code}`)));
  }).catch(async (error) => {
    await stop().catch(() => {});
    throw error;
  });
  return { address, http: () => http, ui: () => ui, stop };
}

test('ediff generate builds the pack on first use, writes the picture, and the embedded cluster gives the same PNG as --in-process', async () => {
  const out = path.join(work.dir, 'x.png');
  const first = await ediff('generate', 'a red circle on a blue background', '--in-process', '--size', '64', '--seed', '1', '-o', out);
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stderr, /building the reference pack/);
  assert.match(first.stderr, /wrote .*x\.png \(64x64, seed 1\)/);
  const { chw, width } = await readPicture(out);
  assert.equal(width, 64);
  const got = classify(chw);
  assert.deepEqual([got.colour, got.shape, got.background], ['red', 'circle', 'blue']);
  assert.ok(existsSync(path.join(work.dir, 'cache', 'packs', `${REFERENCE_PACK_NAME}-v${REFERENCE_PACK_VERSION}`, 'pack.json')));

  const again = path.join(work.dir, 'x2.png');
  const second = await ediff('generate', 'a red circle on a blue background', '--size', '64', '--seed', '1', '-o', again, '--quiet');
  assert.equal(second.code, 0, second.stderr);
  assert.equal(second.stderr, '', 'quiet and no rebuild');
  assert.ok(readFileSync(out).equals(readFileSync(again)), 'byte-identical PNG');
});

test('ediff cluster up keeps a cluster running for --coordinator and status, and stops on SIGTERM', async () => {
  const up = await clusterUp('--replicas', '2');
  try {
    const out = path.join(work.dir, 'remote.png');
    const r = await ediff('generate', 'a red circle on a blue background', '--coordinator', up.address, '--size', '64', '--seed', '1', '-o', out, '-q');
    assert.equal(r.code, 0, r.stderr);
    assert.ok(readFileSync(out).equals(readFileSync(path.join(work.dir, 'x.png'))), 'the same PNG as the first test');
    const status = await ediff('status', '--coordinator', up.address);
    assert.equal(status.code, 0, status.stderr);
    const models = (await (await fetch(`${up.http()}/models`)).json()) as { data: { id: string }[] };
    assert.deepEqual(models.data.map((m) => m.id), ['reference'], 'cluster up serves the HTTP API too, at the URL it printed');
    const page = await fetch(up.ui());
    assert.match(await page.text(), /<script type="module" src="\/ui\/app\.js">/, 'and the web UI, at the URL it printed');
    assert.match(status.stdout, /expert\s+high\s+127\.0\.0\.1:\d+\s+SERVING/);
    assert.equal(status.stdout.match(/expert\s+high\s/g)?.length, 2, 'two replicas of each expert');
    assert.equal(status.stdout.match(/SERVING/g)?.length, 9);
    const bad = await ediff('generate', 'x', '--coordinator', up.address, '--sampler', 'nope', '-q');
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /^ediff: sampler: unknown sampler "nope"/);
  } finally {
    await up.stop();
  }
});

test('a Stable Diffusion export from make-test-export: inspect, tokens, a 64x96 PNG from the embedded cluster (== --in-process) and from cluster up', async () => {
  const dir = path.join(work.dir, 'sd-export');
  const made = await ediff('make-test-export', dir);
  assert.equal(made.code, 0, made.stderr);
  const inspect = await ediff('pack', 'inspect', dir);
  assert.equal(inspect.code, 0, inspect.stderr);
  for (const line of [
    /^  source: export folder \(optimum layout\), read in place$/m,
    /^    expert unet: sigma \[0, inf\), eps \(scaled_linear betas 0\.00085-0\.012, 1000 training steps\), consumes encoder_hidden_states$/m,
    /^      model unet\/model\.onnx \(weights in model\.onnx_data\)$/m,
    /^        inputs:  sample float32 \[batch_size, num_channels, height, width\]; timestep float32 \[\]; encoder_hidden_states float32 \[batch_size, sequence_length, 32\]$/m,
    /^      noise level: timestep float32 scalar: the fractional training timestep, one per call/m,
    /^  base stage: latents \[4, H\/8, W\/8\]; default 64x64 pixels; widths and heights multiples of 8 up to 4096$/m,
    /^  decode stage decode: the VAE decoder, latents \/ 0\.18215$/m,
    /^  sampling: dpmpp-2m, 25 steps, Karras schedule over sigma 0\.02917-14\.6146 \(rho 7\), guidance 7\.5$/m,
  ]) assert.match(inspect.stdout, line);
  const tokens = await ediff('tokens', 'a red circle on a blue background', '--pack', dir);
  assert.equal(tokens.code, 0, tokens.stderr);
  assert.equal(tokens.stdout, 'text_encoder: 9 of 77 tokens\n  49406 320 736 7117 525 320 1746 5994 49407 (then 68 x 49407)\n');

  const cluster = path.join(work.dir, 'sd-cluster.png');
  const a = await ediff('generate', 'a photo of a cat', '--pack', dir, '-o', cluster, '--width', '64', '--height', '96', '--seed', '3', '--steps', '6');
  assert.equal(a.code, 0, a.stderr);
  assert.match(a.stderr, /wrote .*sd-cluster\.png \(64x96, seed 3\) in [\d.]+ s: base [\d.]+ s, decode [\d.]+ s/);
  const meta = await sharp(cluster).metadata();
  assert.deepEqual([meta.width, meta.height], [64, 96]);
  const local = path.join(work.dir, 'sd-local.png');
  assert.equal((await ediff('generate', 'a photo of a cat', '--pack', dir, '-o', local, '--width', '64', '--height', '96', '--seed', '3', '--steps', '6', '--in-process', '-q')).code, 0);
  assert.ok(readFileSync(cluster).equals(readFileSync(local)), 'the same PNG in process');

  const up = await clusterUp('--pack', dir);
  try {
    const remote = path.join(work.dir, 'sd-remote.png');
    const r = await ediff('generate', 'a photo of a cat', '--coordinator', up.address, '-o', remote, '--width', '64', '--height', '96', '--seed', '3', '--steps', '6', '-q');
    assert.equal(r.code, 0, r.stderr);
    assert.ok(readFileSync(remote).equals(readFileSync(local)));
    const describe = JSON.parse((await ediff('describe', '--coordinator', up.address)).stdout);
    assert.deepEqual([describe.decode.name, describe.latent.sizeStep, describe.experts[0].name], ['decode', 8, 'unet']);
  } finally {
    await up.stop();
  }
  const bad = await ediff('generate', 'a cat', '--pack', dir, '--width', '63', '-q');
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /^ediff: width: must be a multiple of 8 in \[8, 4096\] for pack sd-export, got 63\n$/);
  const notPack = await ediff('generate', 'a cat', '--pack', work.dir, '-q');
  assert.equal(notPack.code, 2);
  assert.match(notPack.stderr, /^ediff: .*: neither pack\.json \(an ediff pack or ensemble\) nor model_index\.json \(a diffusers or Optimum ONNX export\) is here\n$/);
});

test('SDXL from make-test-export --sdxl: inspect and generate with --pack BASE --refiner REFINER, the embedded cluster == --in-process', async () => {
  const base = path.join(work.dir, 'sdxl-base');
  const refiner = path.join(work.dir, 'sdxl-refiner');
  for (const [dir, role] of [[base, 'base'], [refiner, 'refiner']] as const) assert.equal((await ediff('make-test-export', dir, '--sdxl', role, '--sample-size', '8')).code, 0);
  const inspect = await ediff('pack', 'inspect', base, '--refiner', refiner, '--refiner-at', '0.8');
  assert.equal(inspect.code, 0, inspect.stderr);
  for (const line of [
    /^  source: ensemble of export folders: base = .*sdxl-base \(optimum layout\), refiner = .*sdxl-refiner \(optimum layout\)$/m,
    /^    derived base\.encoder_hidden_states: base\.text_encoder\.hidden_states\.11 \+ base\.text_encoder_2\.hidden_states\.31 joined on the feature axis; zeros for an empty negative prompt$/m,
    /^    expert base: sigma \[0\.57166\d*, inf\)/m,
    /^    expert refiner: sigma \[0, 0\.57166\d*\)/m,
    /outputs: hidden_states\.0\.\.32 float32 \[batch_size, sequence_length, 12\]; last_hidden_state/m,
  ]) assert.match(inspect.stdout, line);
  const tokens = await ediff('tokens', 'a red circle', '--pack', base, '--refiner', refiner);
  assert.match(tokens.stdout, /^base\.text_encoder: 5 of 77 tokens\n  49406 320 736 7117 49407 \(then 72 x 49407\)\nbase\.text_encoder_2: 5 of 77 tokens\n  49406 320 736 7117 49407 \(then 72 x 0\)\n$/);
  const args = ['a photo of a cat', '--pack', base, '--refiner', refiner, '--width', '64', '--height', '64', '--seed', '3', '--steps', '6', '--original-size', '2048x1536', '--crop', '0,16', '--aesthetic-score', '7', '--expert-guidance', 'refiner=3'];
  const cluster = path.join(work.dir, 'sdxl-cluster.png');
  const a = await ediff('generate', ...args, '-o', cluster);
  assert.equal(a.code, 0, a.stderr);
  const local = path.join(work.dir, 'sdxl-local.png');
  assert.equal((await ediff('generate', ...args, '-o', local, '--in-process', '-q')).code, 0);
  assert.ok(readFileSync(cluster).equals(readFileSync(local)), 'the same PNG in process');
  const bad = await ediff('generate', 'a cat', '--pack', base, '--refiner', refiner, '--refiner-at', '1.5', '-q');
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /^ediff: --refiner-at must be a fraction in \(0, 1\) \(diffusers' denoising_end\), got "1\.5"\n$/);
});

test('cluster up restarts a child that dies on its own address, and a job then succeeds', async () => {
  const pack = path.join(work.dir, 'tiny-supervised');
  writeTinyPack(pack);
  const up = spawn(process.execPath, [bin, 'cluster', 'up', '--port', '0', '--pack', pack], { env, cwd: work.dir, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const waiters: { re: RegExp; resolve: (m: RegExpExecArray) => void }[] = [];
  const seen = (re: RegExp) =>
    new Promise<RegExpExecArray>((resolve) => {
      for (const l of lines) {
        const m = re.exec(l);
        if (m) return resolve(m);
      }
      waiters.push({ re, resolve });
    });
  for (const stream of [up.stdout!, up.stderr!]) {
    createInterface({ input: stream }).on('line', (line) => {
      lines.push(line);
      for (const w of [...waiters]) {
        const m = w.re.exec(line);
        if (m) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(m);
        }
      }
    });
  }
  try {
    const address = (await seen(/^coordinator listening on (\S+)$/))[1]!;
    const [, expertAddress, pid] = await seen(/^  expert-node\s+high\s+(\S+)\s+metrics \S+  pid (\d+)$/);
    process.kill(Number(pid), 'SIGKILL');
    await seen(new RegExp(`^ediff: expert-node high \\(${expertAddress!.replace(/\./g, '\\.')}\\) exited \\(SIGKILL\\): restarting it on ${expertAddress!.replace(/\./g, '\\.')} in 1 s \\(restart 1 within a minute\\)$`));
    // The restarted node serves on the same address; the coordinator's next job reaches it.
    let result = await ediff('generate', 'x', '--coordinator', address, '--seed', '1', '--steps', '4', '-o', path.join(work.dir, 'after-restart.png'), '-q');
    for (let i = 0; i < 20 && result.code !== 0; i++) {
      await new Promise((r) => setTimeout(r, 500));
      result = await ediff('generate', 'x', '--coordinator', address, '--seed', '1', '--steps', '4', '-o', path.join(work.dir, 'after-restart.png'), '-q');
    }
    assert.equal(result.code, 0, result.stderr);
  } finally {
    up.kill('SIGTERM');
    const code = await new Promise((resolve) => (up.exitCode !== null ? resolve(up.exitCode) : up.once('exit', resolve)));
    assert.equal(code, 0, lines.join('\n'));
  }
});

test('an unreachable coordinator is a clear error', async () => {
  const r = await ediff('generate', 'x', '--coordinator', '127.0.0.1:1', '-q');
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^ediff: UNAVAILABLE: /);
});

test('bad options get one clear line and exit code 2', async () => {
  const cases: [string[], RegExp][] = [
    [['generate', 'x', '--steps', '0'], /^ediff: steps: must be an integer in \[1, 1000\], got 0\n$/],
    [['generate', 'x', '--steps', 'many'], /^ediff: --steps must be an integer, got "many"\n$/],
    [['generate', 'x', '--size', '100'], /^ediff: size: 100 is not a size this pack makes; choose one of 64, 256, 1024\n$/],
    [['generate', 'x', '--sampler', 'ddim', '--size', '64'], /^ediff: sampler: unknown sampler "ddim"; choose one of euler, heun, dpmpp-2m, euler-a\n$/],
    [['generate', 'x', '--style', 'missing.png'], /^ediff: --style: cannot read missing\.png: ENOENT\n$/],
    [['generate', 'a circle', '--paint', 'square=missing.png'], /^ediff: --paint: cannot read missing\.png: ENOENT\n$/],
    [['generate', 'a circle', '--paint', 'nomask'], /^ediff: --paint takes PHRASE=MASK\.png/],
    [['generate', 'x', '--bogus'], /^ediff: Unknown option '--bogus'/],
    [['generate'], /^ediff: generate needs a PROMPT/],
    [['frobnicate'], /^ediff: unknown command "frobnicate"/],
  ];
  for (const [args, message] of cases) {
    const r = await ediff(...args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message, args.join(' '));
    assert.equal(r.stderr.trim().split('\n').length, 1, `one line for ${args.join(' ')}`);
  }
});

test('a paint phrase missing from the prompt and an unreadable style image are refused', async () => {
  const mask = path.join(work.dir, 'mask.png');
  await sharp({ create: { width: 8, height: 8, channels: 3, background: '#fff' } }).png().toFile(mask);
  const paint = await ediff('generate', 'a red circle', '--paint', `square=${mask}`, '--size', '64');
  assert.equal(paint.code, 2);
  assert.match(paint.stderr, /paint\[0\]\.phrase: "square" is not in the prompt/);
  const notImage = path.join(work.dir, 'not-image.png');
  writeFileSync(notImage, 'hello');
  const style = await ediff('generate', 'a red circle', '--style', notImage, '--size', '64');
  assert.equal(style.code, 2);
  assert.match(style.stderr, /^ediff: --style: cannot read the image/);
});
