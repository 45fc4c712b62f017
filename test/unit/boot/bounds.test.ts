import { describe, expect, it } from 'vitest';
import {
  MIN_SETTLE_SECONDS,
  minimumTimeoutSeconds,
  reserveSeconds,
  settleBySeconds,
} from '../../../src/boot/bounds.js';
import { ConfigurationError } from '../../../src/errors.js';

describe('the share of the boot timeout', () => {
  it('keeps a quarter of the timeout, at least 45 s, for the firmware, the report and the power-off', () => {
    expect(reserveSeconds(100)).toBe(45);
    expect(reserveSeconds(180)).toBe(45);
    expect(reserveSeconds(181)).toBe(46);
    expect(reserveSeconds(600)).toBe(150);
  });

  it('gives the guest the rest, after boot-watch, as a deadline on its own clock', () => {
    expect(settleBySeconds(600, 30)).toBe(420);
    expect(settleBySeconds(180, 30)).toBe(105);
    expect(settleBySeconds(150, 0)).toBe(105);
    expect(settleBySeconds(75, 0)).toBe(MIN_SETTLE_SECONDS);
  });

  it('refuses a timeout too short to tell a slow boot from a hung one, naming boot-timeout and the least that works', () => {
    const short = () => settleBySeconds(104, 30);
    expect(short).toThrow(ConfigurationError);
    expect(short).toThrow(
      'Input boot-timeout: 104 s leaves the guest 29 s to settle once boot-watch (30 s) and 45 s to start and report are taken; it needs at least 30 s: set boot-timeout to 105 or more, or lower boot-watch.',
    );
    expect(() => settleBySeconds(30, 60)).toThrow(/leaves the guest 0 s to settle/);
  });

  it('finds the shortest timeout that leaves the guest its minimum', () => {
    for (const watch of [0, 10, 30, 100, 600]) {
      const least = minimumTimeoutSeconds(watch);
      expect(settleBySeconds(least, watch)).toBe(MIN_SETTLE_SECONDS);
      expect(() => settleBySeconds(least - 1, watch)).toThrow(ConfigurationError);
    }
    expect(minimumTimeoutSeconds(0)).toBe(75);
    expect(minimumTimeoutSeconds(600)).toBe(840);
  });

  it('takes the boot tests out of the timeout, naming boot-test-timeout when they do not fit', () => {
    expect(settleBySeconds(600, 30, 100)).toBe(320);
    expect(() => settleBySeconds(180, 30, 100)).toThrow(
      'Input boot-timeout: 180 s leaves the guest 5 s to settle once boot-watch (30 s), the boot tests (100 s of boot-test-timeout) and 45 s to start and report are taken; it needs at least 30 s: set boot-timeout to 214 or more, or lower boot-watch or boot-test-timeout.',
    );
    expect(settleBySeconds(214, 30, 100)).toBe(MIN_SETTLE_SECONDS);
  });
});
