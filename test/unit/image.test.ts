/** PNG writing (node:zlib) read back by an independent decoder (sharp). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { encodePng, toRgb8 } from '../../common/image.ts';

test('encodePng: sharp reads back the exact pixels, small (compressed at once) and large (on the pool)', async () => {
  for (const [height, width] of [[5, 7], [64, 64], [200, 150]] as const) {
    const image = { dims: [3, height, width], data: Float32Array.from({ length: 3 * height * width }, (_, i) => Math.sin(i * 0.37) * 1.2) };
    const png = await encodePng(image);
    const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
    assert.deepEqual([info.width, info.height, info.channels], [width, height, 3]);
    assert.ok(data.equals(toRgb8(image).pixels), `${width}x${height}`);
    assert.ok((await encodePng(image)).equals(png), 'the same pixels give the same bytes');
  }
});
