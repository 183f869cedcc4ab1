/**
 * A job's timeline: each evaluation a mark on its stage's sigma axis (log scale, noisy on the
 * left), coloured by the expert that served it, in the lane of the replica that ran it; the
 * stage's experts' sigma ranges are the bands behind.
 */
import type { Evaluation, Pipeline } from './api.ts';

const WIDTH = 860;
const LEFT = 190;
const RIGHT = 20;
const LANE = 18;
const AXIS = 26;
/** The stage's name above its lanes. */
const TITLE = 16;

interface Props {
  pipeline: Pipeline;
  evaluations: Evaluation[];
  colours: Map<string, string>;
}

const format = (sigma: number) => (sigma >= 10 ? sigma.toFixed(0) : sigma >= 0.1 ? sigma.toFixed(2) : sigma.toExponential(0));

export function Timeline({ pipeline, evaluations, colours }: Props) {
  const stages = ['base', ...pipeline.super_resolution.map((s) => s.name)].filter((stage) => stage === 'base' || evaluations.some((e) => e.stage === stage));
  let y = 0;
  const rows = stages.map((stage) => {
    const marks = evaluations.filter((e) => e.stage === stage && e.sigma > 0);
    const sigmas = marks.map((e) => e.sigma);
    const hi = Math.max(...sigmas, stage === 'base' ? pipeline.defaults.sigma_max : 0);
    const lo = Math.min(...sigmas, stage === 'base' ? pipeline.defaults.sigma_min : Infinity);
    const span = Math.log(hi) - Math.log(lo) || 1;
    const x = (sigma: number) => LEFT + ((Math.log(hi) - Math.log(Math.min(hi, Math.max(lo, sigma)))) / span) * (WIDTH - LEFT - RIGHT);
    const replicas = [...new Set(marks.map((e) => `${e.expert}\u0000${e.replica}`))].map((key) => key.split('\u0000') as [string, string]);
    const top = y + TITLE;
    const height = Math.max(1, replicas.length) * LANE;
    y = top + height + AXIS + 14;
    const experts = stage === 'base' ? pipeline.experts : (pipeline.super_resolution.find((s) => s.name === stage)?.experts ?? []);
    return { stage, marks, x, replicas, top, height, lo, hi, experts };
  });
  const ticks = (lo: number, hi: number) => {
    const out: number[] = [];
    for (let p = Math.ceil(Math.log10(lo)); p <= Math.floor(Math.log10(hi)); p++) out.push(10 ** p);
    return out;
  };
  return (
    <svg class="timeline" viewBox={`0 0 ${WIDTH} ${Math.max(y, 40)}`} data-testid="timeline" role="img" aria-label="Evaluations on the sigma axis, by expert and replica">
      {rows.map(({ stage, marks, x, replicas, top, height, lo, hi, experts }) => (
        <g data-stage={stage}>
          <text x={4} y={top - 4} class="stage">
            {stage}
          </text>
          {experts.length > 1 &&
            experts.map((e) => {
              const from = x(e.sigma_hi ?? hi);
              const to = x(Math.max(e.sigma_lo, lo));
              return (
                <g>
                  <rect x={from} y={top} width={Math.max(0, to - from)} height={height} fill={colours.get(e.name)} opacity={0.12} />
                  <text x={(from + to) / 2} y={top + height + AXIS + 10} class="band" text-anchor="middle" fill={colours.get(e.name)}>
                    {e.name}
                  </text>
                </g>
              );
            })}
          {replicas.map(([expert, replica], lane) => (
            <text x={LEFT - 6} y={top + lane * LANE + 13} class="lane" text-anchor="end" fill={colours.get(expert)}>
              {expert} @ {replica}
            </text>
          ))}
          {marks.map((e) => {
            const lane = replicas.findIndex(([expert, replica]) => expert === e.expert && replica === e.replica);
            return (
              <circle class="mark" cx={x(e.sigma)} cy={top + lane * LANE + LANE / 2} r={5} fill={colours.get(e.expert) ?? '#999'} data-expert={e.expert} data-replica={e.replica}>
                <title>{`${e.stage} step ${e.step + 1}/${e.steps}, sigma ${format(e.sigma)}: ${e.expert} on ${e.replica} (evaluation ${e.evaluation}/${e.evaluations})`}</title>
              </circle>
            );
          })}
          <line x1={LEFT} x2={WIDTH - RIGHT} y1={top + height + 4} y2={top + height + 4} class="axis" />
          {ticks(lo, hi).map((t) => (
            <g>
              <line x1={x(t)} x2={x(t)} y1={top + height + 1} y2={top + height + 7} class="axis" />
              <text x={x(t)} y={top + height + 19} class="tick" text-anchor="middle">
                {format(t)}
              </text>
            </g>
          ))}
          <text x={LEFT - 24} y={top + height + 19} class="tick" text-anchor="end">
            sigma
          </text>
        </g>
      ))}
    </svg>
  );
}
