// Original file: protos/ediff/v1/coordinator.proto


/**
 * A base stage that denoises latents (a client's `noise` has this shape: [channels, H/factor, W/factor]).
 */
export interface LatentInfo {
  'channels'?: (number);
  'factor'?: (number);
  /**
   * Widths and heights must be multiples of this many pixels.
   */
  'sizeStep'?: (number);
  'defaultWidth'?: (number);
  'defaultHeight'?: (number);
  /**
   * Previews are a linear latent-to-RGB projection at latent resolution (false: the pack sends none).
   */
  'previews'?: (boolean);
}

/**
 * A base stage that denoises latents (a client's `noise` has this shape: [channels, H/factor, W/factor]).
 */
export interface LatentInfo__Output {
  'channels': (number);
  'factor': (number);
  /**
   * Widths and heights must be multiples of this many pixels.
   */
  'sizeStep': (number);
  'defaultWidth': (number);
  'defaultHeight': (number);
  /**
   * Previews are a linear latent-to-RGB projection at latent resolution (false: the pack sends none).
   */
  'previews': (boolean);
}
