import { WaitTimeoutError } from '../../harness/core/errors.js';
import { waitFor } from '../../harness/core/wait.js';
import { cacheKey } from '../../harness/core/cache.js';

describe('waitFor', () => {
  it('returns the value once the poll is done', async () => {
    let calls = 0;
    const value = await waitFor({ what: 'three polls', timeoutMs: 1000, intervalMs: 1 }, async () =>
      ++calls >= 3 ? { done: true, value: calls } : { done: false, seen: `call ${calls}` },
    );
    expect(value).toBe(3);
  });
  it('times out saying what it waited for and what it saw last, including thrown errors', async () => {
    let calls = 0;
    const wait = waitFor({ what: 'the API', timeoutMs: 30, intervalMs: 5 }, async () => {
      calls++;
      if (calls % 2 === 0) throw new Error('connection refused');
      return { done: false, seen: 'booting' };
    });
    await expect(wait).rejects.toBeInstanceOf(WaitTimeoutError);
    await expect(wait).rejects.toThrow(/waiting for the API; last seen: (booting|connection refused)/);
  });
});

describe('cacheKey', () => {
  it('is stable for equal inputs and changes with any input', () => {
    expect(cacheKey({ suite: 'bookworm', v: 1 })).toBe(cacheKey({ suite: 'bookworm', v: 1 }));
    expect(cacheKey({ suite: 'bookworm', v: 1 })).not.toBe(cacheKey({ suite: 'bookworm', v: 2 }));
  });
});
