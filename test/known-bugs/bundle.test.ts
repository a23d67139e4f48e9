import { chmod, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { writeBundle } from '../../harness/known-bugs/bundle.js';
import { findKnownBug, loadKnownBugs } from '../../harness/known-bugs/load-known-bugs.js';
import { judgeReproduction } from '../../harness/known-bugs/repro-verdict.js';
import { reproductionScript } from '../../harness/known-bugs/reproduction-script.js';
import type { ScenarioSummary } from '../../harness/scenario/run-scenario.js';
import { fixtureText } from '../fixtures/load.js';

// The endpoint-mode scenario as run on Docker 26.1.5 (trixie nodes), with step 2's node dumps before and after
// (test/fixtures/README.md): the moby#36988 state.
const captured = new URL('../fixtures/docker-26.1.5-scenario-summaries/endpoint-mode', import.meta.url).pathname;
const summary = JSON.parse(fixtureText('docker-26.1.5-scenario-summaries', 'endpoint-mode.json')) as ScenarioSummary;
const bugs = await loadKnownBugs();

describe('a reproduction bundle', () => {
  test('holds the versions, the findings, the namespaces they name before and after, and a script', async () => {
    const bug = findKnownBug(bugs, 'moby#36988');
    const verdict = judgeReproduction(bug, summary, '26.1.5+dfsg1');
    const dir = await mkdtemp(join(tmpdir(), 'swarmlab-bundle-'));
    await writeBundle(dir, { scenario: bug.reproduce.scenario, summary, scenarioArtifacts: captured, bug, verdict });
    expect((await readdir(dir)).sort()).toEqual(['SUMMARY.md', 'excerpts', 'findings.json', 'reproduce.sh']);
    const md = await readFile(join(dir, 'SUMMARY.md'), 'utf8');
    expect(md).toMatch(/^## moby#36988: /);
    expect(md).toContain('REPRODUCED: moby#36988 on Docker 26.1.5+dfsg1 (as expected');
    expect(md).toContain('| Docker | 26.1.5+dfsg1 |');
    expect(md).toContain('| kernel | 6.12.117+deb13-amd64 |');
    expect(md).toContain('| iptables | v1.8.11 (nf_tables) |');
    expect(md).toMatch(/- `lb.mark-rule` on scn-1m2w-trixie-w1 \/ lb_\w+ \/ backend \/ api: expected /);
    // Only the namespaces findings name, and of iptables only the mangle table.
    const excerpts = await readdir(join(dir, 'excerpts'));
    expect(excerpts).toContain('step-2-scn-1m2w-trixie-w1-after.txt');
    const w1 = await readFile(join(dir, 'excerpts', 'step-2-scn-1m2w-trixie-w1-after.txt'), 'utf8');
    expect(w1).toMatch(/^=== iptables lb_\w+\n\*mangle\n/);
    expect(w1).toMatch(/-j MARK --set-xmark/);
    expect(w1).not.toMatch(/\*nat/);
    expect(w1).toMatch(/=== ipvs lb_\w+\nIP Virtual Server/);
    const findings = JSON.parse(await readFile(join(dir, 'findings.json'), 'utf8')) as { step: number }[];
    expect(findings.map((f) => f.step)).toEqual([1, 2]);
  });

  test('its script runs the same docker commands as swarmlab, in order, waiting for convergence after each step', async () => {
    const bug = findKnownBug(bugs, 'moby#36988');
    const dir = await mkdtemp(join(tmpdir(), 'swarmlab-script-'));
    const script = join(dir, 'reproduce.sh');
    await writeFile(script, reproductionScript(bug.reproduce.scenario, ['test']));
    // A docker that logs what it is asked and answers `service ls` as a converged Swarm would.
    const log = join(dir, 'docker.log');
    await writeFile(
      join(dir, 'docker'),
      `#!/bin/sh\necho "$*" >> ${log}\ncase "$1 $2" in "service ls") echo 2/2 ;; esac\n`,
    );
    await chmod(join(dir, 'docker'), 0o755);
    await execa('sh', ['-n', script]);
    await execa('sh', [script], { env: { PATH: `${dir}:${process.env['PATH'] ?? ''}`, IMAGE: 'busybox' } });
    const calls = (await readFile(log, 'utf8')).trim().split('\n');
    const changes = calls.filter((c) => !/^service (ls|inspect)/.test(c));
    expect(changes).toEqual([
      'network create --driver overlay --label io.swarmlab.topology=web-api --attachable backend',
      expect.stringMatching(/^service create --detach --no-resolve-image --name web .* --network backend .* busybox$/),
      expect.stringMatching(
        /^service create --detach --no-resolve-image --name api .*--replicas 2 --endpoint-mode vip .* busybox$/,
      ),
      'service update --detach --endpoint-mode dnsrr api',
      'service update --detach --endpoint-mode vip api',
    ]);
    // Convergence is waited for after the deploy and after each step.
    expect(calls.filter((c) => c.startsWith('service ls --format')).length).toBeGreaterThanOrEqual(3);
  });

  test('a step on a node names it through a variable the script asks for', () => {
    const script = reproductionScript(findKnownBug(bugs, 'moby#25325').reproduce.scenario, ['test']);
    // The shell's own ${VAR:?message}, written out literally.
    expect(script).toContain(`: "\${W2:?set W2 to the hostname of node w2 (a worker)}"`);
    expect(script).toContain('NODE=$W2');
    expect(script).toContain('by_hand "power off node $NODE');
    expect(script).toContain('docker service scale --detach api=1');
  });
});
