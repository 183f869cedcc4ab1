/** The request form; what the served pack does not do is not shown. */
import { PaintCanvas } from './paint-canvas.tsx';
import type { Pipeline } from './api.ts';
import { has, sizeChoices, type Settings } from './settings.ts';

interface Props {
  pipeline: Pipeline;
  settings: Settings;
  onChange: (settings: Settings) => void;
  running: boolean;
  onGenerate: () => void;
  onCancel: () => void;
}

const MAX_SEED = 2 ** 32 - 1;

function readAsDataUrl(file: File): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(reader.result as string);
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(file);
  });
}

export function SettingsForm({ pipeline, settings: s, onChange, running, onGenerate, onCancel }: Props) {
  const set = (patch: Partial<Settings>) => onChange({ ...s, ...patch });
  const perExpert = has(pipeline, 'guidance-per-expert');
  const guidanceOf = (name: string) => s.guidance[name] ?? pipeline.defaults.guidance;
  return (
    <form
      class="settings"
      onSubmit={(e) => {
        e.preventDefault();
        onGenerate();
      }}
    >
      <label>
        Prompt
        <textarea name="prompt" rows={3} required value={s.prompt} placeholder="a red circle on a blue background" onInput={(e) => set({ prompt: e.currentTarget.value })} />
      </label>
      {has(pipeline, 'negative-prompt') && (
        <label>
          Negative prompt
          <input name="negative_prompt" value={s.negativePrompt} placeholder="what the image must not show" onInput={(e) => set({ negativePrompt: e.currentTarget.value })} />
        </label>
      )}
      <div class="row">
        <label>
          Seed
          <input name="seed" type="number" min={0} max={MAX_SEED} value={s.seed ?? ''} placeholder="random" onInput={(e) => set({ seed: e.currentTarget.value === '' ? null : Number(e.currentTarget.value) })} />
        </label>
        <button type="button" class="icon" title="A new random seed" onClick={() => set({ seed: Math.floor(Math.random() * MAX_SEED) })}>
          ⚄
        </button>
        <label>
          Steps
          <input name="steps" type="number" min={1} max={1000} value={s.steps} onInput={(e) => set({ steps: Number(e.currentTarget.value) })} />
        </label>
        <label>
          Sampler
          <select name="sampler" value={s.sampler} onChange={(e) => set({ sampler: e.currentTarget.value })}>
            {pipeline.samplers.map((name) => (
              <option value={name}>{name}</option>
            ))}
          </select>
        </label>
        <label>
          Size
          <select name="size" value={s.size} onChange={(e) => set({ size: e.currentTarget.value })}>
            {sizeChoices(pipeline).map((size) => (
              <option value={size}>{size}</option>
            ))}
          </select>
        </label>
      </div>
      <fieldset>
        <legend>{perExpert ? 'Guidance per expert' : 'Guidance'}</legend>
        {(perExpert ? pipeline.experts : pipeline.experts.slice(0, 1)).map((e) => (
          <label class="guidance">
            <span>{perExpert ? `${e.name} (σ ${e.sigma_lo}–${e.sigma_hi ?? '∞'})` : 'scale'}</span>
            <input type="range" min={0} max={15} step={0.5} value={guidanceOf(e.name)} onInput={(ev) => set({ guidance: { ...s.guidance, [e.name]: Number(ev.currentTarget.value) } })} />
            <input type="number" name={`guidance-${e.name}`} min={0} max={100} step={0.1} value={guidanceOf(e.name)} onInput={(ev) => set({ guidance: { ...s.guidance, [e.name]: Number(ev.currentTarget.value) } })} />
          </label>
        ))}
      </fieldset>
      {has(pipeline, 'style-image') && (
        <fieldset>
          <legend>Style image</legend>
          <input
            type="file"
            name="style"
            accept="image/png,image/jpeg,image/webp"
            onChange={async (e) => {
              const file = e.currentTarget.files?.[0];
              set({ style: file ? await readAsDataUrl(file) : null });
            }}
          />
          {s.style && (
            <span class="style">
              <img src={s.style} alt="style reference" />
              <button type="button" class="link" onClick={() => set({ style: null })}>
                remove
              </button>
            </span>
          )}
        </fieldset>
      )}
      {has(pipeline, 'paint-with-words') && (
        <fieldset>
          <legend>Paint with words</legend>
          <PaintCanvas prompt={s.prompt} regions={s.paint} onChange={(paint) => set({ paint })} />
        </fieldset>
      )}
      <div class="actions">
        <button type="submit" class="primary" disabled={running} data-testid="generate">
          Generate
        </button>
        {running && (
          <button type="button" onClick={onCancel}>
            Cancel
          </button>
        )}
      </div>
    </form>
  );
}
