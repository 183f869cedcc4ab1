import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { classify, tempDir } from '../helpers/reference.ts';

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

async function readPicture(file: string) {
  const { data, info } = await sharp(file).raw().toBuffer({ resolveWithObject: true });
  assert.equal(info.channels, 3);
  const plane = info.width * info.height;
  const chw = new Float32Array(3 * plane);
  for (let p = 0; p < plane; p++) for (let c = 0; c < 3; c++) chw[c * plane + p] = data[p * 3 + c]! / 127.5 - 1;
  return { chw, width: info.width };
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
  assert.ok(existsSync(path.join(work.dir, 'cache', 'packs', 'reference-v1', 'pack.json')));

  const again = path.join(work.dir, 'x2.png');
  const second = await ediff('generate', 'a red circle on a blue background', '--size', '64', '--seed', '1', '-o', again, '--quiet');
  assert.equal(second.code, 0, second.stderr);
  assert.equal(second.stderr, '', 'quiet and no rebuild');
  assert.ok(readFileSync(out).equals(readFileSync(again)), 'byte-identical PNG');
});

test('ediff cluster up keeps a cluster running for --coordinator and status, and stops on SIGTERM', async () => {
  const up = spawn(process.execPath, [bin, 'cluster', 'up', '--port', '0', '--replicas', '2'], { env, cwd: work.dir, stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    const address = await new Promise<string>((resolve, reject) => {
      createInterface({ input: up.stdout! }).on('line', (line) => {
        const m = /^coordinator listening on (\S+)$/.exec(line);
        if (m) resolve(m[1]!);
      });
      up.once('exit', (code) => reject(new Error(`cluster up exited with ${code}`)));
    });
    const out = path.join(work.dir, 'remote.png');
    const r = await ediff('generate', 'a red circle on a blue background', '--coordinator', address, '--size', '64', '--seed', '1', '-o', out, '-q');
    assert.equal(r.code, 0, r.stderr);
    assert.ok(readFileSync(out).equals(readFileSync(path.join(work.dir, 'x.png'))), 'the same PNG as the first test');
    const status = await ediff('status', '--coordinator', address);
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /expert\s+high\s+127\.0\.0\.1:\d+\s+SERVING/);
    assert.equal(status.stdout.match(/expert\s+high\s/g)?.length, 2, 'two replicas of each expert');
    assert.equal(status.stdout.match(/SERVING/g)?.length, 9);
    const bad = await ediff('generate', 'x', '--coordinator', address, '--sampler', 'nope', '-q');
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /^ediff: sampler: unknown sampler "nope"/);
  } finally {
    up.kill('SIGTERM');
    const code = await new Promise((resolve) => up.once('exit', resolve));
    assert.equal(code, 0, 'cluster up stops cleanly on SIGTERM');
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
  assert.match(style.stderr, /^ediff: style: cannot read the image/);
});
