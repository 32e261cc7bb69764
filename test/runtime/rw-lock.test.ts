import { describe, expect, it } from 'vitest';
import { RwLock } from '../../src/runtime/rw-lock.js';

const tick = (ms = 1): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('RwLock', () => {
  it('runs readers together and a writer alone', async () => {
    const lock = new RwLock();
    const log: string[] = [];
    let concurrentReaders = 0;
    let maxReaders = 0;
    const reader = (name: string): Promise<void> =>
      lock.read(async () => {
        concurrentReaders++;
        maxReaders = Math.max(maxReaders, concurrentReaders);
        log.push(`${name}+`);
        await tick(5);
        log.push(`${name}-`);
        concurrentReaders--;
      });
    const writer = (name: string): Promise<void> =>
      lock.write(async () => {
        expect(concurrentReaders).toBe(0);
        expect(lock.state.readers).toBe(0);
        log.push(`${name}+`);
        await tick(5);
        log.push(`${name}-`);
      });
    await Promise.all([reader('r1'), reader('r2'), writer('w1'), reader('r3'), writer('w2'), reader('r4'), reader('r5')]);
    expect(maxReaders).toBe(2);
    // FIFO: r3 arrived after w1 waited, so it runs after w1; r4 and r5 run together after w2.
    expect(log).toEqual(['r1+', 'r2+', 'r1-', 'r2-', 'w1+', 'w1-', 'r3+', 'r3-', 'w2+', 'w2-', 'r4+', 'r5+', 'r4-', 'r5-']);
    expect(lock.state).toEqual({ readers: 0, writing: false, waiting: 0 });
  });

  it('releases on a throw and passes the result through', async () => {
    const lock = new RwLock();
    await expect(lock.write(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(lock.read(() => { throw new Error('sync boom'); })).rejects.toThrow('sync boom');
    expect(await lock.write(() => 7)).toBe(7);
    expect(lock.state).toEqual({ readers: 0, writing: false, waiting: 0 });
  });
});
