/**
 * The web UI in a real browser (Debian's headless Chromium, driven by playwright-core) against a
 * real cluster: generate from the page with a paint-with-words mask for "circle" on the left half
 * and see the circle land there; previews arrive; the timeline has marks of every expert, in a
 * lane per replica; the cluster panel lists the nodes; the gallery regenerates an image exactly;
 * the eraser takes paint away and only painted phrases are sent;
 * errors are words; a pack without paint-with-words or style images shows neither; a cluster
 * with tokens asks for one. Screenshots go to $EDIFF_SCREENSHOTS (`npm run screenshots`: docs/).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { ensureBuiltPack } from '../../packs/cache.ts';
import { loadPack, type Pack } from '../../common/pack/load.ts';
import { EdiffClient } from '../../sdk/client.ts';
import { startLocalCluster, type LocalCluster } from '../../sdk/local-cluster.ts';
import { launchBrowser } from '../helpers/browser.ts';
import { classifyPng, tempDir } from '../helpers/reference.ts';
import { writeTinyPack } from '../helpers/tiny-pack.ts';

const screenshots = tempDir('screenshots');
const screenshotDir = process.env.EDIFF_SCREENSHOTS ?? screenshots.dir;

async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(screenshotDir, { recursive: true });
  await page.screenshot({ path: path.join(screenshotDir, name), fullPage: true });
}

/** Paints the left half of the paint canvas with the default 40 px brush. */
async function paintLeftHalf(page: Page): Promise<void> {
  const box = (await page.getByTestId('paint-canvas').boundingBox())!;
  for (let y = 8; y < box.height; y += 16) {
    await page.mouse.move(box.x + 4, box.y + y);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width / 2 - 20, box.y + y, { steps: 4 });
    await page.mouse.up();
  }
}

const finished = (page: Page) => page.waitForSelector('[data-testid=progress][data-state=succeeded]', { timeout: 120_000 });

after(() => screenshots.remove());

describe('the web UI on the reference pack', () => {
  const cache = tempDir('web-ui');
  let pack: Pack;
  let cluster: LocalCluster;
  let browser: Browser;
  let page: Page;
  let client: EdiffClient;
  /** What the page threw (nothing, or the after hook fails). */
  const pageErrors: string[] = [];
  before(async () => {
    pack = loadPack(ensureBuiltPack('reference', cache.dir));
    // Two replicas of the low-noise expert: the timeline shows a lane for each.
    [cluster, browser] = await Promise.all([startLocalCluster({ pack: pack.dir, coordinatorArgs: ['--http-port', '0'], replicas: { low: 2 } }), launchBrowser()]);
    client = new EdiffClient(cluster.address);
    page = await browser.newPage({ viewport: { width: 1500, height: 1150 } });
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await page.goto(`http://${cluster.coordinator.http}/`);
  });
  after(async () => {
    client?.close();
    await browser?.close();
    await cluster?.stop();
    cache.remove();
    assert.deepEqual(pageErrors, [], 'the page threw nothing');
  });

  test('paint "circle" on the left half: it lands there; previews arrive; the timeline marks every expert by replica; the cluster is listed', async () => {
    const status = await client.clusterStatus();
    await page.getByRole('textbox', { name: 'Prompt', exact: true }).fill('a red circle on a blue background');
    await page.locator('select[name=size]').selectOption('256x256');
    await page.locator('input[name=seed]').fill('3');
    await page.getByTestId('paint-words').getByRole('button', { name: 'circle' }).click();
    await paintLeftHalf(page);
    await page.getByTestId('generate').click();
    // Mid-job (if the job is not already done: the previews are counted below either way).
    await page.waitForSelector('[data-testid=preview], [data-testid=result]', { timeout: 120_000 });
    await screenshot(page, 'web-ui-running.png');
    await finished(page);
    // The cluster panel is asked again when the job ends: its counts include the job's evaluations.
    await page.getByTestId('cluster').locator('[data-testid=replica][data-name=high]', { hasNotText: / 0 done/ }).waitFor();
    await screenshot(page, 'web-ui.png');

    const result = page.getByTestId('result');
    const src = (await result.getAttribute('src'))!;
    const got = await classifyPng(Buffer.from(src.slice(src.indexOf(',') + 1), 'base64'));
    assert.deepEqual([got.position, got.shape, got.colour, got.background], ['left', 'circle', 'red', 'blue'], 'the circle is where it was painted');
    // A preview per base step (the page asks for one every step).
    assert.equal(await result.getAttribute('data-previews'), String(pack.manifest.defaults.steps));

    const timeline = page.getByTestId('timeline');
    for (const expert of pack.manifest.base.experts) assert.ok((await timeline.locator(`.mark[data-expert="${expert.name}"]`).count()) > 0, `marks of expert ${expert.name}`);
    const srExperts = pack.manifest.super_resolution[0]!.experts.map((e) => e.name);
    for (const expert of srExperts) assert.ok((await timeline.locator(`[data-stage=sr256] .mark[data-expert="${expert}"]`).count()) > 0, `marks of SR expert ${expert}`);
    // Each mark names the replica that served it, one of its expert's; each replica has a labelled lane.
    const replicas = await timeline.locator('.mark').evaluateAll((marks) => marks.map((m) => `${m.getAttribute('data-expert')} @ ${m.getAttribute('data-replica')}`));
    const lanes = await timeline.locator('text.lane').allTextContents();
    assert.deepEqual([...new Set(replicas)].sort(), [...lanes].sort());
    const lowAddresses = status.nodes.filter((n) => n.role === 'expert' && n.name === 'low').map((n) => n.address);
    assert.equal(lowAddresses.length, 2);
    for (const lane of lanes.filter((l) => l.startsWith('low @ '))) assert.ok(lowAddresses.includes(lane.slice('low @ '.length)), lane);

    const panel = page.getByTestId('cluster');
    await panel.locator('[data-testid=replica][data-name=low]').nth(1).waitFor();
    assert.equal(await panel.locator('[data-testid=replica][data-role=expert]').count(), pack.manifest.base.experts.length + 1);
    assert.equal(await panel.locator('[data-testid=replica][data-role=sr]').count(), pack.manifest.super_resolution.length);
    assert.equal(await panel.locator('.health.serving').count(), await panel.locator('[data-testid=replica]').count(), 'every node serving');
  });

  test('the gallery keeps the result with its settings, opens its PNG, and Regenerate makes the same image', async () => {
    const first = (await page.getByTestId('result').getAttribute('src'))!;
    const gallery = page.getByTestId('gallery');
    await gallery.locator('li').first().waitFor();
    assert.match(await gallery.locator('li').first().innerText(), /seed 3 · 25 steps · heun · 256x256/);
    // A new page (the gallery is this browser's, in localStorage) regenerates it exactly.
    await page.reload();
    // Opening it shows the job's PNG, which the coordinator still keeps.
    await page.getByTestId('gallery').locator('.thumb').first().click();
    const shownSrc = () => page.getByTestId('result').getAttribute('src');
    for (let i = 0; i < 100 && (await shownSrc()) !== first; i++) await page.waitForTimeout(50);
    assert.equal(await shownSrc(), first, 'the full PNG, not the thumbnail');
    await page.getByTestId('regenerate').first().click();
    await finished(page);
    assert.equal(await page.getByTestId('result').getAttribute('src'), first, 'the same PNG, paint mask and all');
    assert.equal(await page.getByRole('textbox', { name: 'Prompt', exact: true }).inputValue(), 'a red circle on a blue background', 'its settings are back in the form');
  });

  test('a request the pack refuses is explained in words', async () => {
    await page.getByRole('textbox', { name: 'Prompt', exact: true }).fill('a red circle');
    await page.locator('input[name=style]').setInputFiles({ name: 'style.png', mimeType: 'image/png', buffer: Buffer.from('not a picture') });
    await page.getByTestId('generate').click();
    const error = page.getByTestId('error');
    await error.waitFor();
    const text = await error.innerText();
    assert.match(text, /^style_image: cannot read the image/);
    assert.doesNotMatch(text, /\n\s+at |Error:/, 'no stack trace');
    await screenshot(page, 'web-ui-error.png');
  });

  test('the eraser takes paint away, and a phrase with no paint is left out', async () => {
    await page.getByTestId('paint-words').getByRole('button', { name: 'red' }).click();
    const box = (await page.getByTestId('paint-canvas').boundingBox())!;
    const stroke = async () => {
      await page.mouse.move(box.x + 60, box.y + 200);
      await page.mouse.down();
      await page.mouse.move(box.x + 200, box.y + 200, { steps: 4 });
      await page.mouse.up();
    };
    const red = page.locator('.regions li', { hasText: '“red”' });
    await stroke();
    assert.doesNotMatch(await red.innerText(), /not painted yet/);
    await page.getByLabel('Eraser').check();
    await page.locator('.tools input[type=range]').fill('128');
    await stroke();
    assert.match(await red.innerText(), /not painted yet/, 'erased to nothing');
    await page.locator('input[name=style]').setInputFiles([]);
    const submitted = page.waitForRequest((r) => r.method() === 'POST' && r.url().endsWith('/v1/images/jobs'));
    await page.getByTestId('generate').click();
    const body = (await submitted).postDataJSON() as { paint?: { phrase: string; mask: string }[]; style_image?: string };
    assert.deepEqual(body.paint?.map((p) => p.phrase), ['circle'], 'only the painted phrase is sent');
    assert.match(Buffer.from(body.paint![0]!.mask, 'base64').subarray(1, 4).toString(), /PNG/, 'as a PNG mask');
    await finished(page);
  });
});

describe('the web UI on a pack without paint-with-words or style images, with tokens', () => {
  const dir = tempDir('web-ui-tiny');
  let cluster: LocalCluster;
  let browser: Browser;
  before(async () => {
    writeTinyPack(dir.dir);
    const tokens = path.join(dir.dir, 'tokens.json');
    writeFileSync(tokens, JSON.stringify({ tokens: [{ token: 'web-ui-token-0123456789', tenant: 'web' }] }));
    [cluster, browser] = await Promise.all([startLocalCluster({ pack: dir.dir, coordinatorArgs: ['--http-port', '0', '--tokens', tokens] }), launchBrowser()]);
  });
  after(async () => {
    await browser?.close();
    await cluster?.stop();
    dir.remove();
  });

  test('asks for a token, then shows only what the pack does', async () => {
    const page = await browser.newPage();
    await page.goto(`http://${cluster.coordinator.http}/`);
    await page.locator('input[name=token]').fill('web-ui-token-0123456789');
    await page.getByRole('button', { name: 'Use this token' }).click();
    await page.getByRole('textbox', { name: 'Prompt', exact: true }).fill('a cat');
    assert.equal(await page.getByTestId('paint-canvas').count(), 0, 'no paint canvas');
    assert.equal(await page.locator('input[name=style]').count(), 0, 'no style upload');
    await page.locator('input[name=steps]').fill('4');
    await page.getByTestId('generate').click();
    await finished(page);
    assert.equal(await page.getByTestId('gallery').locator('li').count(), 1);
  });

  test('CORS is off unless --http-cors names origins: the page is served from the API\'s own origin', async () => {
    const response = await fetch(`http://${cluster.coordinator.http}/v1/models`, { headers: { origin: 'https://elsewhere.example' } });
    assert.equal(response.headers.get('access-control-allow-origin'), null);
  });
});
