import { deadline, parseTimeoutScale, setEngineSpeed, setTimeoutScale } from '../../harness/core/deadlines.js';

describe('deadlines', () => {
  afterEach(() => {
    setTimeoutScale('1');
    setEngineSpeed('emulated');
  });
  it('are stretched by --timeout-scale and halved at native speed', () => {
    const boot = deadline('vmBoot');
    setTimeoutScale('2.5');
    expect(deadline('vmBoot')).toBe(boot * 2.5);
    setEngineSpeed('native');
    expect(deadline('vmBoot')).toBe(boot * 1.25);
  });
  it('take SWARMLAB_TIMEOUT_SCALE when no flag is given', () => {
    const converge = deadline('converge');
    process.env['SWARMLAB_TIMEOUT_SCALE'] = '3';
    try {
      setTimeoutScale(undefined);
      expect(deadline('converge')).toBe(converge * 3);
    } finally {
      delete process.env['SWARMLAB_TIMEOUT_SCALE'];
    }
  });
  it('reject a scale that is not a number from 0.1 to 100, naming where it came from', () => {
    expect(() => parseTimeoutScale('fast', '--timeout-scale')).toThrow(
      '--timeout-scale: timeout scale: expected a number from 0.1 to 100, got "fast"',
    );
    expect(() => parseTimeoutScale('0', 'SWARMLAB_TIMEOUT_SCALE')).toThrow(/SWARMLAB_TIMEOUT_SCALE/);
  });
});
