import { chooseAutoEngine, parseEngineChoice } from '../../harness/engine/select-engine.js';
import { ConfigError } from '../../harness/core/errors.js';
import { debianSuite } from '../../harness/images/debian-suites.js';

const base = {
  vmRunning: false,
  localReachable: { ok: true, reason: 'answers' },
  localIpvs: true,
  localKernel: '6.1.0',
  dockerHost: 'unix:///var/run/docker.sock',
  vmName: 'default',
};

describe('auto engine choice', () => {
  it('reuses a running VM before probing anything else', () => {
    expect(chooseAutoEngine({ ...base, vmRunning: true })).toEqual({
      kind: 'vm',
      why: 'using the running VM engine "default"',
    });
  });
  it('takes the local engine when it answers and has IPVS', () => {
    expect(chooseAutoEngine(base).kind).toBe('local');
  });
  it('falls back to the VM when the local engine does not answer, and says why', () => {
    const choice = chooseAutoEngine({
      ...base,
      localReachable: { ok: false, reason: 'no Docker engine answers at unix:///var/run/docker.sock' },
      localIpvs: undefined,
    });
    expect(choice.kind).toBe('vm');
    expect(choice.why).toContain('no Docker engine answers');
  });
  it('falls back to the VM when the local kernel has no IPVS, naming the kernel', () => {
    const choice = chooseAutoEngine({ ...base, localIpvs: false, localKernel: '6.18.44-fc' });
    expect(choice).toEqual({ kind: 'vm', why: expect.stringContaining('no IPVS (kernel 6.18.44-fc)') });
  });
});

describe('engine configuration', () => {
  it('accepts the three engine kinds', () => {
    expect(['auto', 'local', 'vm'].map((v) => parseEngineChoice(v))).toEqual(['auto', 'local', 'vm']);
  });
  it('rejects an unknown engine naming the flag and the choices', () => {
    expect(() => parseEngineChoice('kvm')).toThrow(ConfigError);
    expect(() => parseEngineChoice('kvm')).toThrow('--engine: engine: expected one of auto, local, vm, got "kvm"');
  });
  it('knows the Debian suites and the Docker each one ships', () => {
    expect(debianSuite('bookworm').dockerVersion).toBe('20.10.24');
    expect(debianSuite('sid').extraPackages).toContain('docker-cli');
  });
  it('rejects an unknown suite naming the valid ones', () => {
    expect(() => debianSuite('buster')).toThrow(
      '--suite: suite: expected one of bullseye, bookworm, trixie, sid, got "buster"',
    );
  });
});
