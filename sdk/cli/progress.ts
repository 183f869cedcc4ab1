/** A progress bar on stderr while a job runs (only on a terminal). */
import cliProgress from 'cli-progress';
import type { ProgressEvent } from '../../common/pipeline/job.ts';

export function progressBar(enabled: boolean): { update: (e: ProgressEvent) => void; stop: () => void } {
  if (!enabled) return { update: () => {}, stop: () => {} };
  const bar = new cliProgress.SingleBar(
    { format: '{stage} |{bar}| {value}/{total} evaluations | sigma {sigma} | expert {expert}', hideCursor: true, clearOnComplete: true, stream: process.stderr },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    update(e) {
      if (e.type !== 'evaluation') return;
      const payload = { stage: e.stage.padEnd(6), sigma: e.sigma.toPrecision(3).padStart(6), expert: e.expert };
      if (!started) {
        bar.start(e.evaluations, 0, payload);
        started = true;
      }
      bar.update(e.evaluation, payload);
    },
    stop: () => started && bar.stop(),
  };
}
