/** The cluster as the coordinator sees it: nodes by role and expert, each replica's health and load. */
import type { ClusterStatus, NodeStatus, Pipeline } from './api.ts';

interface Props {
  pipeline: Pipeline;
  cluster: ClusterStatus | null;
  error: string | null;
  colours: Map<string, string>;
  /** The replica that served the job's last evaluation. */
  busy: string | null;
}

const HEALTH: Record<string, string> = { SERVING: 'serving', NOT_SERVING: 'not serving', UNREACHABLE: 'unreachable' };

export function ClusterPanel({ pipeline, cluster, error, colours, busy }: Props) {
  if (!cluster) return <section class="cluster">{error ? <p class="error">{error}</p> : <p class="hint">Asking the coordinator…</p>}</section>;
  const order = [...pipeline.experts.map((e) => e.name), ...pipeline.super_resolution.map((s) => s.name)];
  const groups = new Map<string, NodeStatus[]>();
  const rank = (n: NodeStatus) => (n.role === 'encoder' ? -1 : order.indexOf(n.name) >= 0 ? order.indexOf(n.name) : order.length);
  for (const node of [...cluster.nodes].sort((a, b) => rank(a) - rank(b) || a.address.localeCompare(b.address))) {
    const key = `${node.role}\u0000${node.name}`;
    groups.set(key, [...(groups.get(key) ?? []), node]);
  }
  return (
    <section class="cluster" data-testid="cluster">
      <p class="hint">
        Coordinator {cluster.coordinator}
        {error && <span class="warn"> (not updating: {error})</span>}
      </p>
      {[...groups.values()].map((replicas) => {
        const { role, name } = replicas[0]!;
        return (
          <div class="group">
            <h4>
              <span class="swatch" style={{ background: colours.get(name) ?? '#888' }} />
              {role === 'encoder' ? 'encoder' : `${role === 'sr' ? 'stage' : 'expert'} ${name}`} <span class="hint">{replicas.length === 1 ? '1 replica' : `${replicas.length} replicas`}</span>
            </h4>
            <table>
              <tbody>
                {replicas.map((n) => (
                  <tr class={n.address === busy ? 'busy' : ''} data-testid="replica" data-role={n.role} data-name={n.name}>
                    <td>
                      <span class={`health ${n.health.toLowerCase()}`} title={HEALTH[n.health] ?? n.health} />
                    </td>
                    <td class="address">{n.address}</td>
                    <td title="in flight now">
                      <meter min={0} max={8} value={n.outstanding} /> {n.outstanding}
                    </td>
                    <td class="hint" title={role === 'encoder' ? 'encodings' : role === 'sr' ? 'stage runs' : 'evaluations served'}>
                      {n.completed} done
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        );
      })}
    </section>
  );
}
