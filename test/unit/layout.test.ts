/**
 * The shape of the tree (DESIGN.md, "Processes"): deployables never import each other; what nodes
 * ship (common/ and the deployables) never imports build-time code (packs/), the SDK, the
 * benchmarks or the tests; and no two folders import each other, directly or round a loop.
 * Imports are read with TypeScript's own pre-processor.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DEPLOYABLES = ['coordinator', 'expert-node', 'encoder-node', 'sr-node'];
/** What deployables ship: they and common/ may import only these top-level folders. */
const SHIPPED = ['common', ...DEPLOYABLES];

function sources(dir: string): string[] {
  return readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((e) => {
    const rel = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === 'node_modules' || e.name.startsWith('.') ? [] : sources(rel);
    return /\.(ts|mts|mjs)$/.test(e.name) ? [rel] : [];
  });
}

/** Every relative import of every source file, as repo-relative paths. */
function imports(): { from: string; to: string }[] {
  const top = readdirSync(ROOT, { withFileTypes: true }).filter((e) => e.isDirectory() && e.name !== 'node_modules' && !e.name.startsWith('.'));
  return top.flatMap((d) => sources(d.name)).flatMap((from) =>
    ts
      .preProcessFile(readFileSync(path.join(ROOT, from), 'utf8'), true, true)
      .importedFiles.filter((f) => f.fileName.startsWith('.'))
      .map((f) => ({ from, to: path.normalize(path.join(path.dirname(from), f.fileName)) })),
  );
}

const topOf = (file: string) => file.split(path.sep)[0]!;

test('deployables never import each other, and what nodes ship imports only what they ship', () => {
  const edges = imports();
  assert.ok(edges.length > 100, `read ${edges.length} imports`);
  const wrong = edges.filter((e) => SHIPPED.includes(topOf(e.from)) && topOf(e.to) !== topOf(e.from) && topOf(e.to) !== 'common');
  assert.deepEqual(wrong.map((e) => `${e.from} -> ${e.to}`), []);
});

/** The folder-level cycles (strongly connected components of more than one folder) of an import graph. */
export function folderCycles(edges: { from: string; to: string }[]): string[][] {
  const graph = new Map<string, Set<string>>();
  for (const { from, to } of edges) {
    const a = path.dirname(from);
    const b = path.dirname(to);
    if (!graph.has(a)) graph.set(a, new Set());
    if (!graph.has(b)) graph.set(b, new Set());
    if (a !== b) graph.get(a)!.add(b);
  }
  // Tarjan's strongly connected components.
  let index = 0;
  const state = new Map<string, { index: number; low: number; onStack: boolean }>();
  const stack: string[] = [];
  const cycles: string[][] = [];
  const visit = (v: string) => {
    const s = { index, low: index, onStack: true };
    index++;
    state.set(v, s);
    stack.push(v);
    for (const w of graph.get(v)!) {
      const t = state.get(w);
      if (!t) {
        visit(w);
        s.low = Math.min(s.low, state.get(w)!.low);
      } else if (t.onStack) s.low = Math.min(s.low, t.index);
    }
    if (s.low === s.index) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        state.get(w)!.onStack = false;
        component.push(w);
      } while (w !== v);
      if (component.length > 1) cycles.push(component.sort());
    }
  };
  for (const v of [...graph.keys()].sort()) if (!state.has(v)) visit(v);
  return cycles;
}

test('no folder imports another that imports it back, directly or round a loop', () => {
  assert.deepEqual(folderCycles(imports()), []);
});

test('the cycle check finds a loop of folders, and only loops', () => {
  const e = (from: string, to: string) => ({ from, to });
  assert.deepEqual(folderCycles([e('a/x.ts', 'b/y.ts'), e('b/y.ts', 'c/z.ts'), e('c/z.ts', 'a/w.ts'), e('c/z.ts', 'd/v.ts')]), [['a', 'b', 'c']]);
  assert.deepEqual(folderCycles([e('a/x.ts', 'b/y.ts'), e('a/x.ts', 'a/w.ts'), e('b/y.ts', 'c/z.ts')]), []);
});
