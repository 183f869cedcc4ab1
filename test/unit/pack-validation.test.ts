import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { PackError } from '../../common/errors.ts';
import { loadPack } from '../../common/pack/load.ts';
import { GraphBuilder, attr } from '../../packs/onnx/graph.ts';
import { expertFor } from '../../common/pack/manifest.ts';
import { tempDir } from '../helpers/reference.ts';
import { writeTinyPack } from '../helpers/tiny-pack.ts';

const root = tempDir('packs');
after(() => root.remove());
let n = 0;

/** Writes the tiny pack with one edit and returns what loading it throws. */
function loadError(edit: (m: Record<string, any>) => void, setup?: (dir: string) => void): PackError {
  const dir = path.join(root.dir, `pack-${n++}`);
  writeTinyPack(dir, edit);
  setup?.(dir);
  try {
    loadPack(dir);
  } catch (error) {
    assert.ok(error instanceof PackError, `expected a PackError, got ${error}`);
    assert.ok(error.message.startsWith(path.join(dir, 'pack.json')), `the message names the manifest file: ${error.message}`);
    return error;
  }
  assert.fail('the pack loaded');
}

test('a valid pack loads, and its hash follows its contents', () => {
  const a = path.join(root.dir, 'valid-a');
  const b = path.join(root.dir, 'valid-b');
  writeTinyPack(a);
  writeTinyPack(b, (m) => (m.defaults.steps = 5));
  const pack = loadPack(a);
  assert.equal(pack.manifest.base.experts.length, 2);
  assert.equal(pack.hash, loadPack(a).hash);
  assert.notEqual(pack.hash, loadPack(b).hash);
});

test('ranges that leave a gap are refused, naming the experts', () => {
  const e = loadError((m) => (m.base.experts[0].sigma_lo = 2));
  assert.equal(e.field, 'base.experts[0].sigma_lo');
  assert.match(e.message, /gap \[1, 2\) between base\.experts\[1\] \(low, \[0, 1\)\) and base\.experts\[0\] \(high, \[2, inf\)\)/);
});

test('overlapping ranges are refused', () => {
  const e = loadError((m) => (m.base.experts[1].sigma_hi = 3));
  assert.match(e.message, /ranges overlap: base\.experts\[1\] \(low, \[0, 3\)\) and base\.experts\[0\] \(high, \[1, inf\)\)/);
});

test('ranges must start at 0 and end at infinity', () => {
  assert.match(loadError((m) => (m.base.experts[1].sigma_lo = 0.5)).message, /lowest range must start at 0/);
  assert.match(loadError((m) => (m.base.experts[0].sigma_hi = 100)).message, /highest range must end at null \(infinity\).*sigma >= 100/);
});

test('a missing model file is refused with its path', () => {
  const e = loadError((m) => (m.base.experts[0].model = 'nowhere.onnx'));
  assert.equal(e.field, 'base.experts[0].model');
  assert.match(e.message, /file not found: .*nowhere\.onnx/);
});

/** Adds a text encoder producing `t5_tokens` to the tiny pack. */
function withEncoder(m: Record<string, any>): void {
  m.encoders.push({ name: 't5', kind: 't5-text', model: 't5.onnx', tokenizer: 'tok.json', max_tokens: 4, outputs: { tokens: 't5_tokens' } });
}
function writeEncoder(dir: string): void {
  const g = new GraphBuilder('t5');
  const ids = g.input('input_ids', 'int64', ['batch', 4]);
  g.output(g.op('Cast', [ids], { to: attr.int(1) }), 'tokens', 'float32', ['batch', 4]);
  writeFileSync(path.join(dir, 't5.onnx'), g.encode());
  writeFileSync(path.join(dir, 'tok.json'), '{}');
}

test('an input the ONNX model does not have is refused', () => {
  const e = loadError((m) => {
    withEncoder(m);
    m.base.experts[1].inputs.push('t5_tokens');
  }, writeEncoder);
  assert.equal(e.field, 'base.experts[1].model');
  assert.match(e.message, /low\.onnx has no input named "t5_tokens" \(its inputs: x, sigma\)/);
  const f = loadError((m) => (m.base.experts[1].parameterization = { type: 'eps', schedule: { beta_schedule: 'linear', beta_start: 0.0001, beta_end: 0.02 } }));
  assert.match(f.message, /low\.onnx has no input named "timestep"/);
});

test('conditioning no encoder produces, and outputs an encoder lacks, are refused', () => {
  assert.match(loadError((m) => m.base.experts[1].inputs.push('t5_tokens')).message, /t5_tokens is no encoder's output/);
  const e = loadError((m) => {
    withEncoder(m);
    m.encoders[0].outputs.pooled = 't5_pooled';
  }, writeEncoder);
  assert.equal(e.field, 'encoders[0].model');
  assert.match(e.message, /t5\.onnx has no output named "pooled"/);
});

test('an unknown parameterization is refused', () => {
  const e = loadError((m) => (m.base.experts[0].parameterization = { type: 'x0' }));
  assert.equal(e.field, 'base.experts[0].parameterization.type');
  assert.match(e.message, /unknown parameterization "x0" \(known: edm, eps, v\)/);
});

test('wrong types, unknown samplers and broken JSON are refused with the field', () => {
  assert.equal(loadError((m) => (m.defaults.steps = 2.5)).field, 'defaults.steps');
  assert.match(loadError((m) => (m.defaults.sampler = 'ddim')).message, /defaults\.sampler: unknown sampler "ddim"/);
  assert.equal(loadError((m) => delete m.base.experts[0].sigma_lo).field, 'base.experts[0].sigma_lo');
  assert.match(loadError(() => {}, (dir) => writeFileSync(path.join(dir, 'pack.json'), '{ "format": ')).message, /not valid JSON/);
  assert.match(loadError((m) => (m.format = 'other/9')).message, /unknown pack format "other\/9"/);
});

test('an SR stage must start at the size before it', () => {
  const e = loadError((m) =>
    m.super_resolution.push({ name: 'sr', from_size: 16, size: 32, sampler: 'euler', steps: 2, sigma_min: 0.01, sigma_max: 1, experts: m.base.experts }),
  );
  assert.equal(e.field, 'super_resolution[0].from_size');
});

test('expertFor routes by half-open ranges', () => {
  const experts = [
    { name: 'high', sigma_lo: 10, sigma_hi: null },
    { name: 'mid', sigma_lo: 1, sigma_hi: 10 },
    { name: 'low', sigma_lo: 0, sigma_hi: 1 },
  ];
  const at = (sigma: number) => expertFor(experts, sigma, (e) => e).name;
  assert.deepEqual([at(0), at(0.999), at(1), at(9.99), at(10), at(1e9)], ['low', 'low', 'mid', 'mid', 'high', 'high']);
});
