/**
 * The web UI at `/`: a Preact app (coordinator/web/) that calls the HTTP API from the browser.
 * Its TSX is bundled with esbuild (the TypeScript transformer tsx already runs on) the first
 * time a browser asks for it, so there is no build step and no build output to keep in step.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { FastifyInstance } from 'fastify';

const WEB = path.join(path.dirname(fileURLToPath(import.meta.url)), 'web');

/** The app as one ES module, built once. */
let bundle: Promise<string> | null = null;

function bundled(): Promise<string> {
  bundle ??= build({
    entryPoints: [path.join(WEB, 'src', 'main.tsx')],
    bundle: true,
    write: false,
    format: 'esm',
    target: 'es2022',
    jsx: 'automatic',
    jsxImportSource: 'preact',
    minify: true,
    legalComments: 'none',
    logLevel: 'silent',
  }).then(
    (result) => result.outputFiles[0]!.text,
    (error: Error) => {
      bundle = null;
      throw new Error(`the web UI does not build: ${error.message}`);
    },
  );
  return bundle;
}

export function registerWebUi(app: FastifyInstance): void {
  const page = readFileSync(path.join(WEB, 'index.html'));
  const style = readFileSync(path.join(WEB, 'style.css'));
  app.get('/', async (_request, reply) => reply.type('text/html; charset=utf-8').send(page));
  app.get('/ui/style.css', async (_request, reply) => reply.type('text/css; charset=utf-8').send(style));
  app.get('/ui/app.js', async (_request, reply) => reply.type('text/javascript; charset=utf-8').header('cache-control', 'no-cache').send(await bundled()));
}
