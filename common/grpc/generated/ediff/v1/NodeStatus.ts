// Original file: protos/ediff/v1/coordinator.proto

import type { Long } from '@grpc/proto-loader';

export interface NodeStatus {
  /**
   * encoder | expert | sr
   */
  'role'?: (string);
  /**
   * The expert's or SR stage's name; the encoder node's is "encoder".
   */
  'name'?: (string);
  'address'?: (string);
  /**
   * SERVING | NOT_SERVING | UNREACHABLE
   */
  'health'?: (string);
  /**
   * Evaluations (or jobs) this coordinator has in flight on the node.
   */
  'outstanding'?: (number);
  /**
   * Evaluations (or jobs) this coordinator has sent to the node.
   */
  'completed'?: (number | string | Long);
}

export interface NodeStatus__Output {
  /**
   * encoder | expert | sr
   */
  'role': (string);
  /**
   * The expert's or SR stage's name; the encoder node's is "encoder".
   */
  'name': (string);
  'address': (string);
  /**
   * SERVING | NOT_SERVING | UNREACHABLE
   */
  'health': (string);
  /**
   * Evaluations (or jobs) this coordinator has in flight on the node.
   */
  'outstanding': (number);
  /**
   * Evaluations (or jobs) this coordinator has sent to the node.
   */
  'completed': (number);
}
