// Original file: protos/ediff/v1/coordinator.proto


/**
 * The stage that turns a latent pack's latents into pixels (a VAE decoder).
 */
export interface DecodeInfo {
  'name'?: (string);
  'scalingFactor'?: (number | string);
  /**
   * Pixels per latent cell along each side.
   */
  'factor'?: (number);
}

/**
 * The stage that turns a latent pack's latents into pixels (a VAE decoder).
 */
export interface DecodeInfo__Output {
  'name': (string);
  'scalingFactor': (number);
  /**
   * Pixels per latent cell along each side.
   */
  'factor': (number);
}
