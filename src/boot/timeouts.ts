/** Boot timeouts scale with the accelerator: TCG boots take minutes where KVM takes seconds. */
export function defaultTimeoutSeconds(accel: 'kvm' | 'tcg'): number {
  return accel === 'kvm' ? 180 : 600;
}
