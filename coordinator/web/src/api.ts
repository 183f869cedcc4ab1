/** The HTTP API as the page uses it: its JSON, its errors in words, and jobs' events as they come. */

export interface ExpertInfo {
  name: string;
  sigma_lo: number;
  /** Absent: no upper end. */
  sigma_hi?: number;
  guidance: number;
}

export interface Pipeline {
  pack: string;
  description: string;
  experts: ExpertInfo[];
  super_resolution: { name: string; from_size: number; size: number; steps: number; experts: ExpertInfo[] }[];
  defaults: { sampler: string; steps: number; guidance: number; sigma_min: number; sigma_max: number; paint_weight: number };
  sizes: number[];
  samplers: string[];
  latent?: { size_step: number; default_width: number; default_height: number; previews: boolean };
  features: string[];
  recommended_sizes: { width: number; height: number }[];
}

export interface NodeStatus {
  role: 'encoder' | 'expert' | 'sr';
  name: string;
  address: string;
  health: string;
  outstanding: number;
  completed: number;
}

export interface ClusterStatus {
  coordinator: string;
  nodes: NodeStatus[];
}

export interface Evaluation {
  stage: string;
  step: number;
  steps: number;
  sigma: number;
  expert: string;
  replica: string;
  evaluation: number;
  evaluations: number;
}

/** A job's server-sent events, as /v1/images/jobs/{id}/events names them. */
export type JobEvent =
  | { seq: number; type: 'evaluation'; data: Evaluation }
  | { seq: number; type: 'preview'; data: { stage: string; step: number; b64_json: string } }
  /** The last event of a job that succeeded. */
  | { seq: number; type: 'result'; data: { seed: number; width: number; height: number; b64_json: string } }
  | { seq: number; type: 'state'; data: { state: string; code: string | null; message: string; queue_position: number } }
  | { seq: number; type: 'error'; data: { error: { message: string } } };

/** The body of POST /v1/images/jobs. */
export interface JobRequest {
  model: string;
  prompt: string;
  negative_prompt?: string;
  seed?: number;
  num_inference_steps?: number;
  sampler?: string;
  guidance_scale?: number;
  expert_guidance?: Record<string, number>;
  size?: string;
  style_image?: string;
  paint?: { phrase: string; mask: string }[];
  preview_every?: number;
}

/** An error the API answered (its message is meant for people), or the network's. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

const ENDED = new Set(['succeeded', 'failed', 'cancelled']);

export class Api {
  constructor(private readonly token: () => string) {}

  private headers(json: boolean): Record<string, string> {
    const token = this.token();
    return { ...(token && { authorization: `Bearer ${token}` }), ...(json && { 'content-type': 'application/json' }) };
  }

  async json<T>(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<T> {
    let response: Response;
    try {
      response = await fetch(path, { method, headers: this.headers(body !== undefined), ...(body !== undefined && { body: JSON.stringify(body) }) });
    } catch (error) {
      throw new ApiError(`Cannot reach the coordinator (${(error as Error).message}). Is it still running?`, 0);
    }
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : {};
    } catch {
      throw new ApiError(`The coordinator answered ${response.status} with something that is not JSON.`, response.status);
    }
    if (!response.ok) {
      const message = (parsed as { error?: { message?: string } }).error?.message ?? `HTTP ${response.status}`;
      throw new ApiError(response.status === 429 ? `${message} (try again in ${response.headers.get('retry-after') ?? 'a few'} s)` : message, response.status);
    }
    return parsed as T;
  }

  /** An image the API serves (a job's content), as a data URL; null if it is not there (any more). */
  async image(path: string): Promise<string | null> {
    const response = await fetch(path, { headers: this.headers(false) }).catch(() => null);
    if (!response?.ok) return null;
    const bytes = new Uint8Array(await response.arrayBuffer());
    let binary = '';
    for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
    return `data:${response.headers.get('content-type') ?? 'image/png'};base64,${btoa(binary)}`;
  }

  /**
   * A job's events from the first, read over fetch (an EventSource cannot send the bearer token);
   * a dropped stream is picked up again after the last event seen, until the job ends.
   */
  async watch(id: string, onEvent: (e: JobEvent) => void, signal: AbortSignal): Promise<void> {
    let last = 0;
    let ended = false;
    for (let attempt = 0; !ended && !signal.aborted; attempt++) {
      try {
        const response = await fetch(`/v1/images/jobs/${id}/events`, { headers: { ...this.headers(false), 'last-event-id': String(last) }, signal });
        if (!response.ok || !response.body) throw new ApiError(((await response.json().catch(() => ({}))) as { error?: { message?: string } }).error?.message ?? `HTTP ${response.status}`, response.status);
        for await (const e of serverSentEvents(response.body)) {
          if (e.id) last = Number(e.id);
          const event = { seq: last, type: e.event, data: JSON.parse(e.data) } as JobEvent;
          if (event.type === 'error') throw new ApiError(event.data.error.message, 500);
          onEvent(event);
          // A job that succeeded ends with its result; the others with their last state.
          if (event.type === 'result' || (event.type === 'state' && ENDED.has(event.data.state))) ended = true;
        }
      } catch (error) {
        if (signal.aborted) return;
        if (error instanceof ApiError && error.status >= 400 && error.status < 500) throw error;
        if (attempt >= 5) throw error instanceof ApiError ? error : new ApiError(`Lost the job's events (${(error as Error).message}).`, 0);
        await new Promise((resolve) => setTimeout(resolve, 500 * 2 ** attempt));
      }
    }
  }
}

/** The events of a text/event-stream body: `id`, `event` and `data` fields, blank-line separated. */
async function* serverSentEvents(body: ReadableStream<Uint8Array>): AsyncGenerator<{ id: string; event: string; data: string }> {
  const reader = body.getReader();
  const text = new TextDecoder();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += text.decode(value, { stream: true });
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const fields: Record<string, string> = { id: '', event: 'message', data: '' };
      for (const line of block.split('\n')) {
        const colon = line.indexOf(':');
        if (colon <= 0) continue;
        const name = line.slice(0, colon);
        const value = line.slice(colon + 1).replace(/^ /, '');
        fields[name] = name === 'data' && fields.data ? `${fields.data}\n${value}` : value;
      }
      yield fields as { id: string; event: string; data: string };
    }
  }
}
