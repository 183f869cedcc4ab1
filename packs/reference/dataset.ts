/**
 * The reference pack's data: a procedurally drawn, captioned image set. Every image is one
 * shape of one colour at one position on a background of another colour. The pack's denoisers
 * are the exact optimal denoisers of this set, so they need no trained weights.
 */

export const SHAPES = ['circle', 'square', 'triangle'] as const;
export const OBJECT_COLOURS = ['red', 'green', 'blue', 'yellow'] as const;
export const BACKGROUNDS = ['white', 'black', 'blue', 'green', 'yellow'] as const;
export const POSITIONS = ['left', 'right', 'top', 'bottom', 'centre'] as const;
/** Every colour that can appear in an image. */
export const PALETTE_NAMES = ['red', 'green', 'blue', 'yellow', 'white', 'black'] as const;

export type Shape = (typeof SHAPES)[number];
export type ObjectColour = (typeof OBJECT_COLOURS)[number];
export type Background = (typeof BACKGROUNDS)[number];
export type Position = (typeof POSITIONS)[number];
export type PaletteColour = (typeof PALETTE_NAMES)[number];

/** RGB in [-1, 1], the pixel range of every image tensor in this project. */
export const PALETTE: Record<PaletteColour, readonly [number, number, number]> = {
  red: [1, -1, -1],
  green: [-1, 1, -1],
  blue: [-1, -1, 1],
  yellow: [1, 1, -1],
  white: [1, 1, 1],
  black: [-1, -1, -1],
};

/**
 * The attribute axis shared by the encoders' outputs and the experts: one entry per thing a
 * caption can say. An image has exactly four attributes set (shape, colour, background, position).
 */
export const ATTRIBUTES = [
  ...SHAPES.map((s) => `shape:${s}`),
  ...OBJECT_COLOURS.map((c) => `colour:${c}`),
  ...BACKGROUNDS.map((c) => `background:${c}`),
  ...POSITIONS.map((p) => `position:${p}`),
] as const;
export const ATTRIBUTE_COUNT = ATTRIBUTES.length;

export const attributeIndex = (name: string): number => {
  const i = (ATTRIBUTES as readonly string[]).indexOf(name);
  if (i < 0) throw new Error(`unknown attribute ${name}`);
  return i;
};

export interface Item {
  shape: Shape;
  colour: ObjectColour;
  background: Background;
  position: Position;
}

/** All images of the set, in a fixed order: 17 colour pairs x 3 shapes x 5 positions = 255. */
export function items(): Item[] {
  const out: Item[] = [];
  for (const shape of SHAPES)
    for (const colour of OBJECT_COLOURS)
      for (const background of BACKGROUNDS)
        for (const position of POSITIONS) if ((background as string) !== colour) out.push({ shape, colour, background, position });
  return out;
}

export const caption = (i: Item) => `a ${i.colour} ${i.shape} on the ${i.position} on a ${i.background} background`;

/** Indices into ATTRIBUTES of the item's object attributes (shape, colour, position) and its background. */
export function itemAttributes(i: Item): { object: number[]; background: number } {
  return {
    object: [attributeIndex(`shape:${i.shape}`), attributeIndex(`colour:${i.colour}`), attributeIndex(`position:${i.position}`)],
    background: attributeIndex(`background:${i.background}`),
  };
}

/** Where each position puts the object's centre, as fractions of the image side: whole quarters. */
export const CENTRES: Record<Position, [number, number]> = {
  left: [0.25, 0.5],
  right: [0.75, 0.5],
  top: [0.5, 0.25],
  bottom: [0.5, 0.75],
  centre: [0.5, 0.5],
};
/** Half the object's extent, as a fraction of the image side. */
const HALF = 0.19;

function inside(shape: Shape, position: Position, u: number, v: number): boolean {
  const [cx, cy] = CENTRES[position];
  const dx = u - cx;
  const dy = v - cy;
  switch (shape) {
    case 'circle':
      return dx * dx + dy * dy <= HALF * HALF;
    case 'square':
      return Math.abs(dx) <= HALF * 0.88 && Math.abs(dy) <= HALF * 0.88;
    case 'triangle': {
      // Apex up; the base is 1.8 * HALF below the apex.
      const t = (dy + HALF) / (1.8 * HALF);
      return t >= 0 && t <= 1 && Math.abs(dx) <= t * HALF * 1.1;
    }
  }
}

/** A rectangle of pixels of a size x size image. */
export interface PixelWindow {
  left: number;
  top: number;
  width: number;
  height: number;
}

/**
 * Fraction of each pixel of `window` (row-major; the whole size x size image by default) that the
 * object covers, from `samples`^2 sub-pixel samples.
 */
export function objectCoverage(item: Pick<Item, 'shape' | 'position'>, size: number, samples = 4, window: PixelWindow = { left: 0, top: 0, width: size, height: size }): Float32Array {
  const out = new Float32Array(window.width * window.height);
  const n = samples * samples;
  for (let y = 0; y < window.height; y++)
    for (let x = 0; x < window.width; x++) {
      let hits = 0;
      for (let sy = 0; sy < samples; sy++)
        for (let sx = 0; sx < samples; sx++) {
          if (inside(item.shape, item.position, (window.left + x + (sx + 0.5) / samples) / size, (window.top + y + (sy + 0.5) / samples) / size)) hits++;
        }
      out[y * window.width + x] = hits / n;
    }
  return out;
}

/** The item drawn at size x size, anti-aliased: CHW float32 in [-1, 1]. */
export function render(item: Item, size: number): Float32Array {
  const cover = objectCoverage(item, size);
  const fg = PALETTE[item.colour];
  const bg = PALETTE[item.background];
  const plane = size * size;
  const out = new Float32Array(3 * plane);
  for (let c = 0; c < 3; c++)
    for (let p = 0; p < plane; p++) out[c * plane + p] = cover[p]! * fg[c]! + (1 - cover[p]!) * bg[c]!;
  return out;
}

/** Words the text encoders know, with the feature each one carries (see encoders.ts). */
export const VOCABULARY = {
  colours: PALETTE_NAMES,
  shapes: SHAPES,
  positions: { left: 'left', right: 'right', top: 'top', bottom: 'bottom', centre: 'centre', center: 'centre' } as Record<string, Position>,
  background: 'background',
  /** Words with no meaning to the model; in the vocabulary so that they stay one token. */
  filler: ['a', 'an', 'the', 'on', 'in', 'of', 'at', 'with', 'and', 'to', 'is', 'photo', 'picture', 'image'],
} as const;

export const vocabularyWords = (): string[] => [
  ...VOCABULARY.colours,
  ...VOCABULARY.shapes,
  ...Object.keys(VOCABULARY.positions),
  VOCABULARY.background,
  ...VOCABULARY.filler,
];
