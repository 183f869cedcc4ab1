/** Replica choice in a pool: least outstanding work, and calls of one turn grouped while no replica is idle. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ReplicaPool } from '../../coordinator/pool.ts';
import type { RemoteNode } from '../../coordinator/remote-nodes.ts';

class FakeReplica implements RemoteNode {
  readonly role = 'expert';
  readonly name = 'low';
  readonly label: string;
  outstanding: number;
  completed = 0;
  refused: string | null = null;
  constructor(
    readonly address: string,
    outstanding: number,
  ) {
    this.label = `fake ${address}`;
    this.outstanding = outstanding;
  }
  describe() {
    return Promise.resolve({ packHash: '', name: this.name });
  }
  close() {}
}

/** Starts `n` calls in one turn (each holds its replica until released) and tells where each went. */
async function callsInOneTurn(pool: ReplicaPool<FakeReplica>, n: number): Promise<{ chosen: string[]; release: () => void }> {
  const chosen: string[] = [];
  const holds: (() => void)[] = [];
  for (let i = 0; i < n; i++) {
    void pool.run(
      (r) =>
        new Promise<void>((resolve) => {
          r.outstanding++;
          chosen.push(r.address);
          holds.push(() => {
            r.outstanding--;
            resolve();
          });
        }),
    );
  }
  await new Promise((resolve) => setImmediate(resolve));
  return { chosen, release: () => holds.forEach((h) => h()) };
}

test('pool: without grouping, calls spread by least outstanding work', async () => {
  const replicas = [new FakeReplica('a', 3), new FakeReplica('b', 3), new FakeReplica('c', 4)];
  const pool = new ReplicaPool<FakeReplica>('expert low');
  for (const r of replicas) pool.add(r);
  const { chosen, release } = await callsInOneTurn(pool, 4);
  assert.deepEqual(chosen, ['a', 'b', 'a', 'b']);
  release();
});

test('pool: while every replica is busy, the calls of one turn go to one replica, up to the group size', async () => {
  const replicas = [new FakeReplica('a', 3), new FakeReplica('b', 3), new FakeReplica('c', 4)];
  const pool = new ReplicaPool<FakeReplica>('expert low', { turnGroup: 4 });
  for (const r of replicas) pool.add(r);
  const first = await callsInOneTurn(pool, 7);
  // 'a' takes calls until it has 4 more than 'b' (3 + 4 = 7 > 3 + 4 - 1), then the next turn choice starts.
  assert.deepEqual(first.chosen, ['a', 'a', 'a', 'a', 'a', 'b', 'b']);
  first.release();
  // A new turn starts from the least outstanding again.
  replicas[0]!.outstanding = 5;
  const second = await callsInOneTurn(pool, 2);
  assert.deepEqual(second.chosen, ['b', 'b']);
  second.release();
});

test('pool: an idle replica is chosen before grouping', async () => {
  const replicas = [new FakeReplica('a', 2), new FakeReplica('b', 0), new FakeReplica('c', 0)];
  const pool = new ReplicaPool<FakeReplica>('expert low', { turnGroup: 16 });
  for (const r of replicas) pool.add(r);
  const { chosen, release } = await callsInOneTurn(pool, 4);
  // b and c start at once; once none is idle, the rest join the turn's choice (c).
  assert.deepEqual(chosen, ['b', 'c', 'c', 'c']);
  release();
});
