import { execa } from 'execa';
import { createLogger } from '../harness/core/log.js';
import type { RunningEngine } from '../harness/engine/engine.js';
import { dockerClient, proveIpvs } from '../harness/engine/engine-facts.js';
import { startEngine } from '../harness/engine/select-engine.js';
import { VmEngine } from '../harness/engine/vm/vm-engine.js';
import { isAlive } from '../harness/engine/vm/vm-state.js';

// Brings up the embedded VM engine (building its disk on a cold cache) and
// proves that its kernel really does IPVS, then that `down` leaves nothing.
// This one boots the bookworm VM (kernel 6.1); the other suites share a VM of
// the default suite (trixie, kernel 6.12), so every run boots both kernels.
const log = createLogger('e2e/engine');
const name = `e2e-engine-${process.pid}`;

describe('embedded VM engine', () => {
  let engine: RunningEngine | undefined;

  afterAll(async () => {
    await engine?.stop();
  });

  it(
    'boots a VM whose Docker API answers on loopback only',
    async () => {
      engine = await startEngine({ choice: 'vm', name, suite: 'bookworm' }, log);
      expect(engine.dockerHost).toMatch(/^tcp:\/\/127\.0\.0\.1:\d+$/);
      const facts = await engine.facts();
      expect(facts).toMatchObject({
        kind: 'vm',
        ipvs: true,
        dockerVersion: expect.stringMatching(/^20\.10\.24/),
        kernel: expect.stringMatching(/^6\.1\./),
      });
      // The nodes run with crun (cheaper execs); the IPVS proof above already ran a privileged container with it.
      const info = await dockerClient(engine.dockerHost).info();
      expect(info).toMatchObject({ DefaultRuntime: 'crun' });
    },
    15 * 60_000,
  );

  it('lets a privileged container create an IPVS virtual service and list it back', async () => {
    if (!(engine instanceof VmEngine)) throw new Error('engine did not start');
    const proof = await proveIpvs(dockerClient(engine.dockerHost), engine.state.proofImage);
    expect(proof.output).toMatch(/TCP\s+10\.255\.255\.1:80 rr/);
    expect(proof.output).toMatch(/-> 10\.255\.255\.2:80\s+Masq\s+1/);
    expect(proof.ipvs).toBe(true);
  }, 120_000);

  it('leaves no QEMU process and no forwarded port after down', async () => {
    if (!(engine instanceof VmEngine)) throw new Error('engine did not start');
    const { pid, port } = engine.state;
    await engine.stop();
    engine = undefined;
    // isAlive, not signal 0: a killed QEMU stays a zombie under a PID 1 that does not reap.
    expect(isAlive(pid)).toBe(false);
    const listening = await execa('ss', ['-ltnH', `sport = :${port}`]);
    expect(listening.stdout.trim()).toBe('');
    expect(await VmEngine.attach(name, log)).toBeUndefined();
  }, 60_000);
});
