/**
 * Paint-with-words: pick a word of the prompt (shift-click another to make it a phrase), paint
 * where it goes, one colour per phrase; each phrase's mask is sent as a white-on-black PNG.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { colourAt, inPrompt, promptWords, type PaintRegion } from './settings.ts';

/** The masks' side in pixels (the pack scales them to its own). */
const SIDE = 256;

const canvas = (): HTMLCanvasElement => Object.assign(document.createElement('canvas'), { width: SIDE, height: SIDE });
// Masks are read back after every stroke: willReadFrequently keeps them in memory, not on the GPU.
const context = (c: HTMLCanvasElement) => c.getContext('2d', { willReadFrequently: true })!;

/** A mask as the API takes it: white where painted, black elsewhere; null if nothing is painted. */
function exportMask(mask: HTMLCanvasElement): string | null {
  const pixels = context(mask).getImageData(0, 0, SIDE, SIDE).data;
  if (!pixels.some((v, i) => i % 4 === 3 && v > 0)) return null;
  const out = canvas();
  const g = context(out);
  g.fillStyle = '#000';
  g.fillRect(0, 0, SIDE, SIDE);
  g.drawImage(mask, 0, 0);
  return out.toDataURL('image/png');
}

/** Draws an exported mask (white on black) back as paint (white on transparent). */
function importMask(mask: HTMLCanvasElement, url: string, done: () => void): void {
  const image = new Image();
  image.onload = () => {
    const g = context(mask);
    g.drawImage(image, 0, 0, SIDE, SIDE);
    const data = g.getImageData(0, 0, SIDE, SIDE);
    for (let i = 0; i < data.data.length; i += 4) data.data.set([255, 255, 255, data.data[i]!], i);
    g.putImageData(data, 0, 0);
    done();
  };
  image.src = url;
}

interface Props {
  prompt: string;
  regions: PaintRegion[];
  onChange: (regions: PaintRegion[]) => void;
}

export function PaintCanvas({ prompt, regions, onChange }: Props) {
  const view = useRef<HTMLCanvasElement>(null);
  /** Each phrase's paint, and the exported mask it matches (a region's mask from elsewhere replaces it). */
  const masks = useRef(new Map<string, { paint: HTMLCanvasElement; url: string | null }>());
  const [active, setActive] = useState<string | null>(null);
  const [brush, setBrush] = useState(40);
  const [eraser, setEraser] = useState(false);
  const last = useRef<{ x: number; y: number } | null>(null);
  const words = promptWords(prompt);
  const activeRegion = regions.find((r) => r.phrase === active) ?? null;

  const maskOf = (region: PaintRegion): HTMLCanvasElement => {
    let mask = masks.current.get(region.phrase);
    if (!mask || mask.url !== region.mask) {
      mask = { paint: canvas(), url: region.mask };
      masks.current.set(region.phrase, mask);
      if (region.mask) importMask(mask.paint, region.mask, redraw);
    }
    return mask.paint;
  };

  function redraw(): void {
    const c = view.current;
    if (!c) return;
    const g = context(c);
    g.globalAlpha = 1;
    g.fillStyle = '#15161a';
    g.fillRect(0, 0, SIDE, SIDE);
    g.strokeStyle = '#2a2c33';
    for (let i = 1; i < 4; i++) {
      g.beginPath();
      g.moveTo((i * SIDE) / 4, 0);
      g.lineTo((i * SIDE) / 4, SIDE);
      g.moveTo(0, (i * SIDE) / 4);
      g.lineTo(SIDE, (i * SIDE) / 4);
      g.stroke();
    }
    for (const region of regions) {
      const tinted = canvas();
      const t = context(tinted);
      t.drawImage(maskOf(region), 0, 0);
      t.globalCompositeOperation = 'source-in';
      t.fillStyle = region.colour;
      t.fillRect(0, 0, SIDE, SIDE);
      g.globalAlpha = region.phrase === active ? 0.85 : 0.55;
      g.drawImage(tinted, 0, 0);
    }
  }

  useEffect(() => {
    for (const phrase of [...masks.current.keys()]) if (!regions.some((r) => r.phrase === phrase)) masks.current.delete(phrase);
    redraw();
  });

  /** Click: the word's phrase (made if new). Shift-click: the active phrase grows to this word. */
  function pickWord(index: number, extend: boolean): void {
    let phrase = words[index]!;
    if (extend && activeRegion) {
      const start = words.findIndex((_, i) => promptWords(activeRegion.phrase).every((w, j) => words[i + j] === w));
      if (start >= 0) {
        const end = start + promptWords(activeRegion.phrase).length - 1;
        phrase = words.slice(Math.min(start, index), Math.max(end, index) + 1).join(' ');
        const mask = masks.current.get(activeRegion.phrase);
        if (mask) masks.current.set(phrase, mask);
        onChange(regions.map((r) => (r === activeRegion ? { ...r, phrase } : r)));
        setActive(phrase);
        return;
      }
    }
    if (!regions.some((r) => r.phrase === phrase)) onChange([...regions, { phrase, colour: colourAt(regions.length), mask: null }]);
    setActive(phrase);
  }

  const point = (e: PointerEvent) => {
    const c = view.current!;
    const box = c.getBoundingClientRect();
    return { x: ((e.clientX - box.left) * SIDE) / box.width, y: ((e.clientY - box.top) * SIDE) / box.height };
  };

  function paintTo(e: PointerEvent): void {
    if (!activeRegion || !last.current) return;
    const g = context(maskOf(activeRegion));
    const p = point(e);
    g.globalCompositeOperation = eraser ? 'destination-out' : 'source-over';
    g.strokeStyle = '#fff';
    g.lineWidth = brush;
    g.lineCap = 'round';
    g.lineJoin = 'round';
    g.beginPath();
    g.moveTo(last.current.x, last.current.y);
    g.lineTo(p.x, p.y);
    g.stroke();
    last.current = p;
    redraw();
  }

  function endStroke(): void {
    if (!activeRegion || !last.current) return;
    last.current = null;
    const mask = masks.current.get(activeRegion.phrase)!;
    mask.url = exportMask(mask.paint);
    onChange(regions.map((r) => (r === activeRegion ? { ...r, mask: mask.url } : r)));
  }

  return (
    <div class="paint">
      <div class="words" data-testid="paint-words">
        {words.length === 0 && <span class="hint">Type a prompt, then pick the words to place.</span>}
        {words.map((word, i) => {
          const region = regions.find((r) => promptWords(r.phrase).includes(word));
          return (
            <button type="button" class={`word${region?.phrase === active ? ' active' : ''}`} style={region && { borderColor: region.colour }} title="Click to paint this word; shift-click to grow the selected phrase to it" onClick={(e) => pickWord(i, e.shiftKey)}>
              {word}
            </button>
          );
        })}
      </div>
      <canvas
        ref={view}
        width={SIDE}
        height={SIDE}
        class={activeRegion ? 'painting' : ''}
        data-testid="paint-canvas"
        onPointerDown={(e) => {
          if (!activeRegion) return;
          (e.currentTarget as HTMLCanvasElement).setPointerCapture(e.pointerId);
          last.current = point(e);
          paintTo(e);
        }}
        onPointerMove={(e) => paintTo(e)}
        onPointerUp={endStroke}
        onPointerCancel={endStroke}
      />
      <div class="tools">
        <label>
          Brush <input type="range" min="4" max="128" value={brush} onInput={(e) => setBrush(Number(e.currentTarget.value))} /> {brush}px
        </label>
        <label>
          <input type="checkbox" checked={eraser} onChange={(e) => setEraser(e.currentTarget.checked)} /> Eraser
        </label>
      </div>
      <ul class="regions">
        {regions.map((r) => (
          <li class={r.phrase === active ? 'active' : ''}>
            <span class="swatch" style={{ background: r.colour }} />
            <button type="button" class="link" onClick={() => setActive(r.phrase)}>
              “{r.phrase}”
            </button>
            {!inPrompt(r.phrase, prompt) && <span class="warn"> not in the prompt: left out</span>}
            {!r.mask && inPrompt(r.phrase, prompt) && <span class="hint"> not painted yet</span>}
            <button type="button" class="link" title="Remove this phrase" onClick={() => onChange(regions.filter((x) => x !== r))}>
              ×
            </button>
          </li>
        ))}
      </ul>
    </div>
  );
}
