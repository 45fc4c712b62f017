import { describe, expect, it } from 'vitest';
import { oneAtATime } from '../../../src/github/cache-store.js';

describe('oneAtATime (the GitHub store: @actions/cache calls share the process environment)', () => {
  it('runs the calls one after another in the order they came, whatever their length', async () => {
    const queued = oneAtATime();
    const events: string[] = [];
    let running = 0;
    const call = (name: string, ms: number) =>
      queued(async () => {
        expect(++running).toBe(1);
        events.push(`start ${name}`);
        await new Promise((resolve) => setTimeout(resolve, ms));
        events.push(`end ${name}`);
        running--;
        return name;
      });
    expect(await Promise.all([call('a', 30), call('b', 1), call('c', 10)])).toEqual(['a', 'b', 'c']);
    expect(events).toEqual(['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
  });

  it('a failing call fails alone and the next one still runs', async () => {
    const queued = oneAtATime();
    const failing = queued(() => Promise.reject(new Error('service answered 500')));
    const next = queued(() => Promise.resolve('restored'));
    await expect(failing).rejects.toThrow('service answered 500');
    expect(await next).toBe('restored');
  });
});
