// Original file: protos/ediff/v1/coordinator.proto

import type { NodeStatus as _ediff_v1_NodeStatus, NodeStatus__Output as _ediff_v1_NodeStatus__Output } from '../../ediff/v1/NodeStatus';

export interface ClusterStatus {
  'coordinator'?: (string);
  'nodes'?: (_ediff_v1_NodeStatus)[];
}

export interface ClusterStatus__Output {
  'coordinator': (string);
  'nodes': (_ediff_v1_NodeStatus__Output)[];
}
