// Original file: protos/ediff/v1/coordinator.proto

import type { Long } from '@grpc/proto-loader';

export interface WatchJobRequest {
  'id'?: (string);
  /**
   * Send the events after this sequence number (0 = from the start).
   */
  'after'?: (number | string | Long);
}

export interface WatchJobRequest__Output {
  'id': (string);
  /**
   * Send the events after this sequence number (0 = from the start).
   */
  'after': (number);
}
