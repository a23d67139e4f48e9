import { guestCrash } from '../../harness/engine/vm/vm-engine.js';
import { fixtureText } from '../fixtures/load.js';

// The console of a real boot whose guest kernel crashed under multi-threaded TCG (test/fixtures/README.md).
const crashed = fixtureText('vm-console', 'trixie-6.12-tcg-int3-oops.txt');

describe('a guest kernel crash on the VM console', () => {
  it('is found, by the kernel line that says it', () => {
    expect(guestCrash(crashed)).toMatch(/^\[\s*[\d.]+\] (Oops: int3|.*Kernel panic - not syncing)/);
  });

  it('is not found in the call trace lines alone', () => {
    const traceOnly = crashed
      .split('\n')
      .filter((l) => !/Oops:|Kernel panic/.test(l))
      .join('\n');
    expect(guestCrash(traceOnly)).toBeUndefined();
  });
});
