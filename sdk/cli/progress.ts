/** A progress bar on stderr while a job runs (only on a terminal). */
import cliProgress from 'cli-progress';

/** The evaluation events of the in-process pipeline and of the SDK have this shape. */
interface Progress {
  type: string;
  stage?: string;
  sigma?: number;
  expert?: string;
  evaluation?: number;
  evaluations?: number;
}

export function progressBar(enabled: boolean): { update: (e: Progress) => void; stop: () => void } {
  if (!enabled) return { update: () => {}, stop: () => {} };
  const bar = new cliProgress.SingleBar(
    { format: '{stage} |{bar}| {value}/{total} evaluations | sigma {sigma} | expert {expert}', hideCursor: true, clearOnComplete: true, stream: process.stderr },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    update(e) {
      if (e.type !== 'evaluation' || e.evaluation === undefined) return;
      const payload = { stage: (e.stage ?? '').padEnd(6), sigma: (e.sigma ?? 0).toPrecision(3).padStart(6), expert: e.expert };
      if (!started) {
        bar.start(e.evaluations ?? 0, 0, payload);
        started = true;
      }
      bar.update(e.evaluation, payload);
    },
    stop: () => {
      if (started) bar.stop();
      started = false;
    },
  };
}
