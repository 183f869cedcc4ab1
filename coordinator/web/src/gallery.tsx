/** This browser's results with their settings (kept in localStorage), each a click from regenerating. */
import type { Settings } from './settings.ts';

export interface GalleryEntry {
  job: string;
  /** The settings, with the seed the job used: submitting them again makes the same image. */
  settings: Settings;
  width: number;
  height: number;
  /** A small JPEG data URL. */
  thumbnail: string;
  created: number;
}

const KEY = 'ediff.gallery';
const MAX_ENTRIES = 48;

export function loadGallery(): GalleryEntry[] {
  try {
    const entries: unknown = JSON.parse(localStorage.getItem(KEY) ?? '[]');
    return Array.isArray(entries) ? (entries as GalleryEntry[]) : [];
  } catch {
    return [];
  }
}

/** Keeps as many of the newest entries as the browser's storage holds. */
export function saveGallery(entries: GalleryEntry[]): GalleryEntry[] {
  let kept = entries.slice(0, MAX_ENTRIES);
  while (kept.length > 0) {
    try {
      localStorage.setItem(KEY, JSON.stringify(kept));
      return kept;
    } catch {
      kept = kept.slice(0, -1);
    }
  }
  localStorage.removeItem(KEY);
  return kept;
}

/** A thumbnail of a PNG (base64), at most `side` pixels across. */
export async function thumbnailOf(b64Png: string, side = 160): Promise<string> {
  const image = new Image();
  image.src = `data:image/png;base64,${b64Png}`;
  await image.decode();
  const scale = Math.min(1, side / Math.max(image.width, image.height));
  const canvas = Object.assign(document.createElement('canvas'), { width: Math.round(image.width * scale), height: Math.round(image.height * scale) });
  const g = canvas.getContext('2d')!;
  g.imageSmoothingQuality = 'high';
  g.drawImage(image, 0, 0, canvas.width, canvas.height);
  return canvas.toDataURL('image/jpeg', 0.85);
}

interface Props {
  entries: GalleryEntry[];
  onOpen: (entry: GalleryEntry) => void;
  onRegenerate: (entry: GalleryEntry) => void;
  onRemove: (entry: GalleryEntry) => void;
}

export function Gallery({ entries, onOpen, onRegenerate, onRemove }: Props) {
  if (entries.length === 0) return <p class="hint">Your images appear here, with their settings.</p>;
  return (
    <ul class="gallery" data-testid="gallery">
      {entries.map((entry) => (
        <li>
          <button type="button" class="thumb" title="Show it and its settings" onClick={() => onOpen(entry)}>
            <img src={entry.thumbnail} alt={entry.settings.prompt} />
          </button>
          <p class="caption" title={entry.settings.prompt}>
            {entry.settings.prompt}
          </p>
          <p class="hint">
            seed {entry.settings.seed} · {entry.settings.steps} steps · {entry.settings.sampler} · {entry.width}x{entry.height}
          </p>
          <button type="button" onClick={() => onRegenerate(entry)} data-testid="regenerate">
            Regenerate
          </button>
          <button type="button" class="link" title="Remove from this gallery" onClick={() => onRemove(entry)}>
            Remove
          </button>
        </li>
      ))}
    </ul>
  );
}
