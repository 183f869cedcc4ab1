/**
 * `ediff jobs list|get ID|cancel ID|watch ID` against a running coordinator (the job API), and
 * what `ediff generate --detach` prints.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { EdiffError, type JobInfo } from '../client.ts';
import { connect } from './connect.ts';
import { UsageError } from './usage.ts';

const JOBS_USAGE = `usage: ediff jobs list --coordinator ADDR
       ediff jobs get ID --coordinator ADDR
       ediff jobs cancel ID --coordinator ADDR
       ediff jobs watch ID --coordinator ADDR [--after N] [-o FILE]

watch prints the job's events from after event N (default: all) until it ends, reconnecting by
itself, and writes the PNG of a job that succeeded to FILE (default out.png).`;

/** One line about a job: id, state, progress or outcome. */
function jobLine(j: JobInfo): string {
  const progress =
    j.state === 'queued'
      ? `queue position ${j.queuePosition}`
      : j.state === 'running'
        ? `evaluation ${j.evaluation}/${j.evaluations}, ${j.stage} step ${j.step + 1}/${j.steps} on ${j.expert || '-'}`
        : j.state === 'failed'
          ? j.errorMessage
          : j.state === 'succeeded' && j.result
            ? `${j.result.width}x${j.result.height}, seed ${j.result.seed}`
            : '';
  return `${j.id}  ${j.state.padEnd(9)}  ${progress}${j.clientJobId ? `  (client id ${j.clientJobId})` : ''}`;
}

export async function jobsCommand(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    options: { coordinator: { type: 'string' }, after: { type: 'string' }, output: { type: 'string', short: 'o' }, help: { type: 'boolean', short: 'h' } },
    allowPositionals: true,
    strict: true,
  });
  if (values.help) return void console.log(JOBS_USAGE);
  const [command, id, ...extra] = positionals;
  if (!values.coordinator) throw new UsageError(`jobs needs --coordinator HOST:PORT\n\n${JOBS_USAGE}`);
  if (command !== 'list' && (!id || extra.length > 0)) throw new UsageError(`jobs ${command ?? ''} takes one job ID\n\n${JOBS_USAGE}`);
  const client = connect(values.coordinator);
  try {
    switch (command) {
      case 'list':
        for (const j of await client.listJobs()) console.log(jobLine(j));
        return;
      case 'get':
        return void console.log(jobLine(await client.getJob(id!)));
      case 'cancel':
        return void console.log(jobLine(await client.cancelJob(id!)));
      case 'watch': {
        const after = values.after === undefined ? 0 : Number(values.after);
        if (!Number.isInteger(after) || after < 0) throw new UsageError(`--after must be a whole number, got ${JSON.stringify(values.after)}`);
        for await (const e of client.watch(id!, { after })) {
          if (e.type === 'evaluation') console.log(`${e.seq} evaluation ${e.evaluation}/${e.evaluations} ${e.stage} step ${e.step + 1}/${e.steps} sigma ${e.sigma.toPrecision(4)} on ${e.expert} (${e.replica})`);
          else if (e.type === 'preview') console.log(`${e.seq} preview ${e.stage} step ${e.step + 1}`);
          else if (e.type === 'state') {
            console.log(`${e.seq} ${e.state}${e.message ? `: ${e.message}` : ''}`);
            if (e.state === 'failed') throw new EdiffError(e.code, e.message);
          }
          else {
            const file = values.output ?? 'out.png';
            writeFileSync(file, e.png);
            console.log(`${e.seq} succeeded: wrote ${file} (${e.width}x${e.height}, seed ${e.seed})`);
          }
        }
        return;
      }
      default:
        throw new UsageError(`unknown jobs command ${JSON.stringify(command ?? '')}\n\n${JOBS_USAGE}`);
    }
  } finally {
    client.close();
  }
}
