/**
 * ediff's web UI: the form, the job's live previews and timeline, the cluster and this browser's
 * gallery, all over the HTTP API (async jobs and their server-sent events).
 */
import { render } from 'preact';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { Api, ApiError, type ClusterStatus, type Evaluation, type JobEvent, type Pipeline } from './api.ts';
import { ClusterPanel } from './cluster-panel.tsx';
import { Gallery, loadGallery, saveGallery, thumbnailOf, type GalleryEntry } from './gallery.tsx';
import { defaultSettings, expertColours, jobRequest, type Settings } from './settings.ts';
import { SettingsForm } from './settings-form.tsx';
import { Timeline } from './timeline.tsx';

const TOKEN_KEY = 'ediff.token';
const CLUSTER_POLL_MS = 2000;

/** The job the page follows. */
interface Run {
  job: string | null;
  state: string;
  queuePosition: number;
  evaluations: Evaluation[];
  /** The latest step preview (a data URL), and how many came. */
  preview: string | null;
  previews: number;
  result: { image: string; seed: number; width: number; height: number } | null;
  error: string | null;
}

const idle: Run = { job: null, state: 'idle', queuePosition: 0, evaluations: [], preview: null, previews: 0, result: null, error: null };

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

function TokenForm({ onToken, message }: { onToken: (token: string) => void; message: string }) {
  const [token, setToken] = useState('');
  return (
    <form
      class="token"
      onSubmit={(e) => {
        e.preventDefault();
        onToken(token.trim());
      }}
    >
      <p>{message}</p>
      <input type="password" name="token" placeholder="bearer token" value={token} onInput={(e) => setToken(e.currentTarget.value)} />
      <button type="submit">Use this token</button>
    </form>
  );
}

function Progress({ run }: { run: Run }) {
  const last = run.evaluations.at(-1);
  let text = '';
  if (run.state === 'queued') text = run.queuePosition > 0 ? `Queued: ${run.queuePosition} job${run.queuePosition === 1 ? '' : 's'} ahead` : 'Queued: next to start';
  else if (run.state === 'running' && last) text = `${last.stage} step ${last.step + 1} of ${last.steps} · expert ${last.expert} on ${last.replica}`;
  else if (run.state === 'running') text = 'Encoding the prompt…';
  else if (run.state === 'succeeded' && run.result) text = `Done: seed ${run.result.seed}, ${run.result.width}x${run.result.height}, ${run.evaluations.length} evaluations`;
  else if (run.state === 'cancelled') text = 'Cancelled.';
  return (
    <div class="progress" data-testid="progress" data-state={run.state}>
      <progress max={last?.evaluations ?? 1} value={run.state === 'succeeded' ? (last?.evaluations ?? 1) : (last?.evaluation ?? 0)} />
      <span>{text}</span>
    </div>
  );
}

function App() {
  const [token, setToken] = useState(() => localStorage.getItem(TOKEN_KEY) ?? '');
  const api = useMemo(() => new Api(() => token), [token]);
  const [pipeline, setPipeline] = useState<Pipeline | null>(null);
  const [fatal, setFatal] = useState<ApiError | null>(null);
  const [settings, setSettings] = useState<Settings | null>(null);
  const [run, setRun] = useState<Run>(idle);
  const [cluster, setCluster] = useState<ClusterStatus | null>(null);
  const [clusterError, setClusterError] = useState<string | null>(null);
  const [gallery, setGallery] = useState<GalleryEntry[]>(loadGallery);
  /** A gallery entry shown instead of the run: its thumbnail, then its PNG while the coordinator keeps the job. */
  const [shown, setShown] = useState<{ entry: GalleryEntry; image: string } | null>(null);
  const watching = useRef<AbortController | null>(null);

  useEffect(() => {
    setFatal(null);
    api.json<Pipeline>('GET', '/v1/pipeline').then((p) => {
      setPipeline(p);
      setSettings((s) => s ?? defaultSettings(p));
    }, setFatal);
  }, [api]);

  useEffect(() => {
    if (!pipeline) return;
    let stopped = false;
    const poll = async () => {
      try {
        setCluster(await api.json<ClusterStatus>('GET', '/v1/cluster'));
        setClusterError(null);
      } catch (error) {
        setClusterError(messageOf(error));
      }
      if (!stopped) timer = setTimeout(poll, CLUSTER_POLL_MS);
    };
    let timer = setTimeout(poll, 0);
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
    // Asked again at once when the job's state changes (it started, or ended: new load and counts).
  }, [api, pipeline, run.state]);

  const colours = useMemo(() => (pipeline ? expertColours(pipeline) : new Map<string, string>()), [pipeline]);

  if (fatal?.status === 401 || fatal?.status === 403)
    return (
      <TokenForm
        message={`This cluster wants a bearer token: ${fatal.message}`}
        onToken={(t) => {
          localStorage.setItem(TOKEN_KEY, t);
          setToken(t);
        }}
      />
    );
  if (fatal) return <p class="error">{fatal.message}</p>;
  if (!pipeline || !settings) return <p class="loading">Loading ediff…</p>;

  function onEvent(e: JobEvent, job: string, submitted: Settings): void {
    if (e.type === 'evaluation') setRun((r) => ({ ...r, state: 'running', evaluations: [...r.evaluations, e.data] }));
    else if (e.type === 'preview') setRun((r) => ({ ...r, preview: `data:image/png;base64,${e.data.b64_json}`, previews: r.previews + 1 }));
    else if (e.type === 'result') {
      const result = { image: `data:image/png;base64,${e.data.b64_json}`, seed: e.data.seed, width: e.data.width, height: e.data.height };
      setRun((r) => ({ ...r, state: 'succeeded', result }));
      void thumbnailOf(e.data.b64_json).then((thumbnail) => {
        setGallery((entries) => saveGallery([{ job, settings: { ...submitted, seed: result.seed }, width: result.width, height: result.height, thumbnail, created: Date.now() }, ...entries]));
      });
    } else if (e.type === 'state') {
      const failed = e.data.state === 'failed' ? e.data.message || `the job failed (${e.data.code})` : null;
      setRun((r) => ({ ...r, state: e.data.state, queuePosition: e.data.queue_position, error: failed ?? r.error }));
    }
  }

  async function generate(submitted: Settings): Promise<void> {
    watching.current?.abort();
    const watch = new AbortController();
    watching.current = watch;
    setShown(null);
    setRun({ ...idle, state: 'submitting' });
    try {
      const job = await api.json<{ id: string; state: string; queue_position: number }>('POST', '/v1/images/jobs', jobRequest(submitted, pipeline!));
      setRun((r) => ({ ...r, job: job.id, state: job.state, queuePosition: job.queue_position }));
      await api.watch(job.id, (e) => onEvent(e, job.id, submitted), watch.signal);
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) setFatal(error);
      setRun((r) => ({ ...r, state: 'failed', error: messageOf(error) }));
    }
  }

  const running = ['submitting', 'queued', 'running'].includes(run.state);
  const lastReplica = running ? (run.evaluations.at(-1)?.replica ?? null) : null;
  const image = shown ? shown.image : (run.result?.image ?? run.preview);
  const open = (entry: GalleryEntry) => {
    setShown({ entry, image: entry.thumbnail });
    void api.image(`/v1/images/jobs/${entry.job}/content`).then((full) => full && setShown((s) => (s?.entry === entry ? { entry, image: full } : s)));
  };
  return (
    <div class="app">
      <header>
        <h1>ediff</h1>
        <span class="pack" title={pipeline.description}>
          {pipeline.pack}
        </span>
        <span class="hint">{pipeline.description}</span>
      </header>
      <main>
        <aside class="left">
          <SettingsForm
            pipeline={pipeline}
            settings={settings}
            onChange={setSettings}
            running={running}
            onGenerate={() => void generate(settings)}
            onCancel={() => run.job && void api.json('DELETE', `/v1/images/jobs/${run.job}`).catch((error) => setRun((r) => ({ ...r, error: messageOf(error) })))}
          />
        </aside>
        <section class="output">
          {run.error && (
            <p class="error" data-testid="error">
              {run.error}
            </p>
          )}
          <div class="canvas">
            {image ? (
              <img
                src={image}
                alt={shown ? shown.entry.settings.prompt : run.result ? 'the result' : 'a preview of the denoised image'}
                class={run.result || shown ? 'result' : 'preview'}
                data-testid={run.result || shown ? 'result' : 'preview'}
                data-previews={run.previews}
              />
            ) : (
              <p class="hint">{running ? 'Waiting for the first step…' : 'Write a prompt and press Generate.'}</p>
            )}
          </div>
          {shown ? (
            <p class="hint">
              From the gallery: “{shown.entry.settings.prompt}”, seed {shown.entry.settings.seed}. Regenerate it to see its timeline.
            </p>
          ) : (
            <Progress run={run} />
          )}
          <h3>Timeline</h3>
          <Timeline pipeline={pipeline} evaluations={run.evaluations} colours={colours} />
        </section>
        <aside class="right">
          <h3>Cluster</h3>
          <ClusterPanel pipeline={pipeline} cluster={cluster} error={clusterError} colours={colours} busy={lastReplica} />
        </aside>
      </main>
      <footer>
        <h3>Gallery</h3>
        <Gallery
          entries={gallery}
          onOpen={open}
          onRegenerate={(entry) => {
            setSettings(entry.settings);
            void generate(entry.settings);
          }}
          onRemove={(entry) => setGallery((entries) => saveGallery(entries.filter((x) => x !== entry)))}
        />
      </footer>
    </div>
  );
}

render(<App />, document.getElementById('app')!);
