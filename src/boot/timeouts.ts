/** Boot timeouts scale with the accelerator: TCG boots take minutes where KVM takes seconds. */
export function defaultTimeoutSeconds(accel: 'kvm' | 'tcg'): number {
  return accel === 'kvm' ? 180 : 600;
}

/** The guest waits for the boot to settle for at most this long, leaving time to watch and report. */
export function settleSeconds(timeoutSeconds: number, watchSeconds: number): number {
  return Math.max(10, timeoutSeconds - watchSeconds - 60);
}
